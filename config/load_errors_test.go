package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// env returns a lookupEnv over vars.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// fixture is the path of a file in testdata/config.
func fixture(name string) string { return filepath.Join("..", "testdata", "config", name) }

// TestLoadErrors loads each invalid fixture and compares every reported
// problem, exactly, in order: "file:line:col: key: message".
func TestLoadErrors(t *testing.T) {
	secret := map[string]string{"GITHUB_WEBHOOK_SECRET": "s3cr3t-value"}
	tests := map[string]struct {
		file string
		env  map[string]string
		want []string // without the leading "path:"
	}{
		"unknown keys, with the keys expected": {
			file: "unknown_key.yml",
			want: []string{
				`3:3: server.adr: unknown key "adr" (did you mean "addr"?); expected one of: addr, webhook_path, max_payload_bytes, shutdown_timeout, max_inflight_body_bytes, admin_token, tls`,
				`9:5: rules[0].iff: unknown key "iff" (did you mean "if"?); expected one of: name, on, if, do, supersede, abort_running, allow_self, trusted_only`,
				`11:28: rules[0].do[0].log.level: unknown key "level"; expected one of: message`,
			},
		},
		"missing variables": {
			file: "missing_var.yml",
			env:  secret,
			want: []string{
				`5:10: jenkins.main.url: variable ${JENKINS_URL} is not set; set it, or write ${JENKINS_URL:-default}`,
				`7:12: jenkins.main.token: variable ${JENKINS_TOKEN} is not set`,
				`12:24: rules[0].do[0].jenkins.job: variables ${JOB_SUFFIX}, ${JOB_KIND} are not set`,
			},
		},
		"undefined jenkins server and slack connection": {
			file: "undefined_jenkins.yml",
			want: []string{
				`19:27: rules[0].do[0].jenkins.server: jenkins server "c" is not defined; defined: a, b`,
				`20:9: rules[0].do[1].jenkins.server: is required when several are configured; defined: a, b`,
				`21:29: rules[0].do[2].slack.connection: slack connection "other" is not defined; defined: only`,
			},
		},
		"actions naming servers when none is configured": {
			file: "no_servers.yml",
			want: []string{
				`7:9: rules[0].do[0].jenkins.server: no jenkins server is configured; add one under jenkins:`,
				`8:39: rules[0].do[1].jenkins.server: jenkins server "main" is not defined; none is configured under jenkins:`,
				`9:9: rules[0].do[2].slack.connection: no slack connection is configured; add one under slack:`,
			},
		},
		"several problems at once: unknown key, missing variable, undefined server": {
			file: "several.yml",
			want: []string{
				`2:3: server.listen: unknown key "listen"; expected one of: addr, webhook_path, max_payload_bytes, shutdown_timeout, max_inflight_body_bytes, admin_token, tls`,
				`4:19: github.webhook_secret: variable ${GITHUB_WEBHOOK_SECRET} is not set`,
				`14:27: rules[0].do[0].jenkins.server: jenkins server "staging" is not defined; defined: main`,
			},
		},
		"webhook secret missing": {
			file: "webhook_secret_missing.yml",
			want: []string{`1:1: github.webhook_secret: is required: deliveries are accepted only when signed with it`},
		},
		"empty file: webhook secret missing": {
			file: "empty.yml",
			want: []string{`1:1: github.webhook_secret: is required: deliveries are accepted only when signed with it`},
		},
		"webhook secret empty": {
			file: "webhook_secret_empty.yml",
			want: []string{`2:19: github.webhook_secret: must not be empty: an empty secret would let anyone sign a delivery`},
		},
		"webhook secret from a variable set to empty": {
			file: "webhook_secret_empty_var.yml",
			env:  map[string]string{"GITHUB_WEBHOOK_SECRET": ""},
			want: []string{`2:19: github.webhook_secret: must not be empty: an empty secret would let anyone sign a delivery`},
		},
		"webhook secret list with empty entries": {
			file: "webhook_secret_list_empty_entry.yml",
			env:  map[string]string{"EMPTY": ""},
			want: []string{
				`4:7: github.webhook_secret[1]: must not be empty: an empty secret would let anyone sign a delivery`,
				`5:7: github.webhook_secret[2]: must not be empty: an empty secret would let anyone sign a delivery`,
				`6:7: github.webhook_secret[3]: variable ${UNSET} is not set`,
			},
		},
		"server section": {
			file: "server_invalid.yml",
			want: []string{
				`2:9: server.addr: "3000" is not a host:port address such as ":3000" or "127.0.0.1:3000"`,
				`3:17: server.webhook_path: "webhook" must start with "/"`,
				`4:22: server.max_payload_bytes: must be greater than 0 (the default is 26214400, GitHub's own cap)`,
				`5:21: server.shutdown_timeout: must be greater than 0`,
			},
		},
		"webhook path taken by another endpoint": {
			file: "webhook_path_taken.yml",
			want: []string{`3:17: server.webhook_path: "/metrics" is already an endpoint of its own`},
		},
		"webhook path with a query": {
			file: "webhook_path_query.yml",
			want: []string{`2:17: server.webhook_path: "/hook?x=1" must be a plain path, without a query, a fragment or spaces`},
		},
		"github section": {
			file: "github_invalid.yml",
			want: []string{
				`2:11: github.app_id: is set, but neither private_key_file nor private_key is`,
				`4:12: github.api_url: must be an absolute http or https URL, such as https://api.github.com/ or https://HOST/api/v3/`,
			},
		},
		"private key without app id, and two keys": {
			file: "github_key_without_app.yml",
			env:  map[string]string{"KEY": "-----BEGIN RSA PRIVATE KEY-----"},
			want: []string{
				`1:1: github.app_id: is required when a private key is given`,
				`3:16: github.private_key: set private_key_file or private_key, not both`,
			},
		},
		"store section": {
			file: "store_invalid.yml",
			want: []string{
				`4:11: store.driver: must be "sqlite" or "postgres", not "mysql"`,
				`5:12: store.workers: must be greater than 0`,
				`6:17: store.rescue_after: must be greater than 0`,
				`7:14: store.retention: must be greater than 0`,
			},
		},
		"postgres without a dsn": {
			file: "store_postgres.yml",
			want: []string{`3:1: store.dsn: is required when driver is postgres (a URL such as postgres://user@host/db)`},
		},
		"sqlite with an empty dsn": {
			file: "store_sqlite_empty_dsn.yml",
			want: []string{`4:8: store.dsn: must not be empty: it is the path of the SQLite file`},
		},
		"retry: initial backoff above the maximum": {
			file: "retry_invalid.yml",
			want: []string{
				`4:17: retry.max_attempts: must be at least 1`,
				`5:20: retry.initial_backoff: 2m0s is greater than max_backoff (1m0s)`,
			},
		},
		"retry: values not positive": {
			file: "retry_zero.yml",
			want: []string{
				`4:17: retry.max_attempts: must be at least 1`,
				`5:20: retry.initial_backoff: must be greater than 0`,
				`6:16: retry.max_backoff: must be greater than 0`,
			},
		},
		"jenkins servers": {
			file: "jenkins_invalid.yml",
			want: []string{
				`4:3: jenkins.relative.user: is required: Jenkins takes the API token (or password) with a user name`,
				`4:3: jenkins.relative.token: is required (or password)`,
				`5:10: jenkins.relative.url: must be an absolute http or https URL, such as https://jenkins.example.com/`,
				`7:10: jenkins.both.url: must not hold credentials`,
				`10:15: jenkins.both.password: set token or password, not both`,
				`11:3: jenkins.empty.url: is required`,
				`11:3: jenkins.empty.user: is required: Jenkins takes the API token (or password) with a user name`,
				`11:3: jenkins.empty.token: is required (or password)`,
				`16:21: jenkins.never.report_timeout: must be greater than 0`,
			},
		},
		"slack connections": {
			file: "slack_invalid.yml",
			want: []string{
				`4:3: slack.neither: needs token (a bot token) or webhook_url (an incoming webhook)`,
				`5:14: slack.neither.api_url: must be an absolute http or https URL, such as https://slack.com/api/`,
				`8:18: slack.both.webhook_url: set token or webhook_url, not both`,
				`10:18: slack.badhook.webhook_url: must be an absolute http or https URL`,
			},
		},
		"rules: names, events and actions required, duplicate names": {
			file: "rules_invalid.yml",
			want: []string{
				`4:5: rules[0].name: is required`,
				`11:5: rules[2].on: is required: the events the rule listens to, such as [push] or [pull_request.opened]`,
				`11:11: rules[2].name: duplicate rule name "build" (first at line 7)`,
				`15:10: rules[3].on[0]: unknown event "puhs" in rule "events" (did you mean "push"?); known events: push, pull_request, issues, issue_comment, ping, installation, installation_repositories, create, delete, release, workflow_run, check_run, check_suite, status, pull_request_review, pull_request_review_comment`,
				`15:16: rules[3].on[1]: event "push" has no actions; write "push"`,
				`15:30: rules[3].on[2]: "pull_request.": after the dot comes an action of lowercase letters and _, such as pull_request.opened`,
				`15:45: rules[3].on[3]: "pull_request.Opened": after the dot comes an action of lowercase letters and _, such as pull_request.opened`,
				`15:87: rules[3].on[5]: must not be empty`,
				`16:5: rules[3].do: is required: the actions to run, at least one`,
				`17:5: rules[4].do: is required: the actions to run, at least one`,
			},
		},
		"actions": {
			file: "actions_invalid.yml",
			want: []string{
				`11:9: rules[0].do[0]: no action kind; set one of: jenkins, slack, comment, label, status, http, log`,
				`12:9: rules[0].do[1]: one kind per action, got jenkins and log; write them as separate items`,
				`14:9: rules[0].do[2].jenkins.job: is required`,
				`15:24: rules[0].do[3].jenkins.job: "a//b" has an empty folder segment: folders are written a/b/c`,
				`16:24: rules[0].do[4].jenkins.job: "a/../b": ".." is not allowed as a folder segment`,
				`17:24: rules[0].do[5].jenkins.job: "/{{ .Repository.Name }}" must not start or end with /: folders are written a/b/c`,
				`18:9: rules[0].do[6].slack.channel: is required with a token connection (such as "#ci")`,
				`18:9: rules[0].do[6].slack.text: is required (or blocks)`,
				`19:18: rules[0].do[7].comment: must not be empty`,
				`20:9: rules[0].do[8].comment: must not be empty`,
				`21:9: rules[0].do[9].label: needs add or remove (or both)`,
				`22:27: rules[0].do[10].label.add[1]: a label must not be empty`,
				`22:40: rules[0].do[10].label.remove: a label must not be empty`,
				`23:9: rules[0].do[11].status.context: is required`,
				`23:25: rules[0].do[11].status.state: must be one of pending, success, failure, error, not "done"`,
				`24:9: rules[0].do[12].status.state: is required: one of pending, success, failure, error`,
				`25:9: rules[0].do[13].http.url: is required`,
				`25:24: rules[0].do[13].http.method: "GET POST" is not an HTTP method`,
				`25:60: rules[0].do[13].http.headers.Bad Header: "Bad Header" is not a header name`,
				`26:21: rules[0].do[14].http.url: must be an absolute http or https URL`,
				`27:9: rules[0].do[15].log.message: is required`,
				`28:9: rules[0].do[16].log.message: is required`,
			},
		},
		"unknown action kind is an unknown key, and only that": {
			file: "action_unknown_kind.yml",
			want: []string{
				`7:9: rules[0].do[0].jenkns: unknown key "jenkns" (did you mean "jenkins"?); expected one of: jenkins, slack, comment, label, status, http, log`,
				`8:9: rules[0].do[1].notify: unknown key "notify"; expected one of: jenkins, slack, comment, label, status, http, log`,
			},
		},
		"values of the wrong type": {
			file: "types_invalid.yml",
			want: []string{
				`1:9: server: expected a mapping, got a list`,
				`3:11: github.app_id: "abc" is not an integer`,
				`4:19: github.webhook_secret: expected a string or a list of strings, got a mapping`,
				`6:12: store.workers: "12" is not an integer; write it without quotes`,
				`7:14: store.retention: "5x" is not a duration such as 30s or 10m`,
				`10:9: rules[0].on: expected a string or a list of strings, got a mapping`,
				`12:14: rules[0].if.draft: "maybe" is not true or false`,
				`13:24: rules[0].if.branches[1]: expected a string, got a list`,
				`15:24: rules[0].do[0].log.message: expected a string, got a list`,
			},
		},
		"duplicate keys": {
			file: "duplicate_key.yml",
			want: []string{
				`3:3: github.webhook_secret: duplicate key "webhook_secret" (first at line 2)`,
				`7:5: rules[0].on: duplicate key "on" (first at line 6)`,
			},
		},
		"YAML syntax error": {
			file: "syntax_error.yml",
			want: []string{`3:1: invalid YAML: did not find expected key`},
		},
		"YAML syntax error on the first line": {
			file: "syntax_first_line.yml",
			want: []string{`1:1: invalid YAML: did not find expected ',' or '}'`},
		},
		"unquoted variable in a flow mapping": {
			file: "syntax_flow_var.yml",
			want: []string{`7:1: invalid YAML: did not find expected ',' or '}'; inside [...] or {...}, quote a ${VAR} reference: "${VAR}"`},
		},
		"two documents": {
			file: "two_documents.yml",
			want: []string{`3:1: a second YAML document; the file must hold exactly one`},
		},
		"top level not a mapping": {
			file: "not_a_mapping.yml",
			want: []string{`1:1: expected a mapping, got a list`},
		},
		"unknown key inside a merge": {
			file: "anchors.yml",
			want: []string{`23:11: rules[1].do[1].jenkins.colour: unknown key "colour"; expected one of: server, job, parameters, report, context`},
		},
		"a tab as indentation": {
			file: "tab_indent.yml",
			want: []string{`2:1: invalid YAML: found character that cannot start any token`},
		},
		"merge key given twice in one mapping": {
			file: "duplicate_merge_key.yml",
			want: []string{`6:1: mapping key "<<" already defined at line 5`},
		},
		"aliases multiplying the document": {
			file: "alias_bomb.yml",
			want: []string{`8:360: rules[29].do[23].jenkins.parameters.p40: aliases expand the document to more than 113000 values`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := fixture(tc.file)
			cfg, err := Load(path, env(tc.env))
			if err == nil {
				t.Fatalf("Load(%s) succeeded; want %d problems", tc.file, len(tc.want))
			}
			if cfg != nil {
				t.Errorf("Load(%s) returned a Config along with its errors", tc.file)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Load(%s) error is %T, want config.Errors: %v", tc.file, err, err)
			}
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = path + ":" + w
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("Load(%s) problems:\n%s\nwant:\n%s", tc.file, got, strings.Join(want, "\n"))
			}
			for _, e := range es {
				if e.Pos.File != path {
					t.Errorf("problem %q placed in file %q, want %q", e.Msg, e.Pos.File, path)
				}
			}
		})
	}
}

// TestParseRefusesBadBytes gives Parse bytes a fixture file would hide: a
// NUL, invalid UTF-8, and nesting past yaml.v3's depth limit. Each is one
// problem, exactly as shown.
func TestParseRefusesBadBytes(t *testing.T) {
	const head = "github:\n  webhook_secret: s\n"
	tests := map[string]struct {
		data string
		want string
	}{
		"NUL":                 {data: head + "rules: []\x00\n", want: `bad.yml:1:1: invalid YAML: control characters are not allowed`},
		"control byte 0x01":   {data: head + "server: {addr: \"\x01\"}\n", want: `bad.yml:1:1: invalid YAML: control characters are not allowed`},
		"invalid UTF-8":       {data: head + "rules: [\xff\xfe]\n", want: `bad.yml:1:1: invalid YAML: invalid leading UTF-8 octet`},
		"nesting 20,000 deep": {data: head + "x: " + strings.Repeat("[", 20000) + "\n", want: `bad.yml:3:1: invalid YAML: exceeded max depth of 10000`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := Parse("bad.yml", []byte(tc.data), nil)
			if cfg != nil || err == nil {
				t.Fatalf("Parse = %v, %v; want only an error", cfg, err)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want config.Errors: %v", err, err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestDecodeErrorsArePlaced reaches the fallback for yaml.v3's own type
// errors. The walker checks every value before decoding, so the test changes
// a checked value behind its back.
func TestDecodeErrorsArePlaced(t *testing.T) {
	p := newParser("f.yml", env(nil))
	root, perr := p.parseYAML([]byte("github:\n  webhook_secret: s\n  app_id: 12\n"))
	if perr != nil {
		t.Fatal(perr)
	}
	p.maxSteps = 1000
	p.walk(root, reflect.TypeFor[Config](), "")
	if len(p.errs) != 0 {
		t.Fatalf("walk: %v", p.errs)
	}
	appID := root.Content[1].Content[3]
	appID.Value, appID.Tag = "hunter2", "!!str"
	p.decode(root, &Config{})
	want := "f.yml:3:11: github.app_id: cannot unmarshal !!str value into int64"
	if got := p.errs.Error(); got != want {
		t.Errorf("decode errors = %q, want %q", got, want)
	}
}
