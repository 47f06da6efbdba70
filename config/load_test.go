package config

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// mustLoad loads a fixture that must be valid.
func mustLoad(t *testing.T, path string, vars map[string]string) *Config {
	t.Helper()
	cfg, err := Load(path, env(vars))
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return cfg
}

func TestDefaults(t *testing.T) {
	cfg := mustLoad(t, fixture("minimal.yml"), map[string]string{"GITHUB_WEBHOOK_SECRET": "s"})
	tests := map[string]struct{ got, want any }{
		"server.addr":               {cfg.Server.Addr, ":3000"},
		"server.webhook_path":       {cfg.Server.WebhookPath, "/webhook"},
		"server.max_payload_bytes":  {cfg.Server.MaxPayloadBytes, int64(26214400)},
		"server.shutdown_timeout":   {cfg.Server.ShutdownTimeout.Std(), 30 * time.Second},
		"github.api_url":            {cfg.GitHub.APIURL, "https://api.github.com/"},
		"github.catch_up_interval":  {cfg.GitHub.CatchUpInterval.Std(), 10 * time.Minute},
		"github.app_id":             {cfg.GitHub.AppID, int64(0)},
		"store.driver":              {cfg.Store.Driver, "sqlite"},
		"store.dsn":                 {string(cfg.Store.DSN), "switchboard.db"},
		"store.workers":             {cfg.Store.Workers, 20},
		"store.rescue_after":        {cfg.Store.RescueAfter.Std(), time.Minute},
		"store.retention":           {cfg.Store.Retention.Std(), 168 * time.Hour},
		"retry.max_attempts":        {cfg.Retry.MaxAttempts, 20},
		"retry.initial_backoff":     {cfg.Retry.InitialBackoff.Std(), time.Second},
		"retry.max_backoff":         {cfg.Retry.MaxBackoff.Std(), 10 * time.Minute},
		"rules[0].on (one string)":  {[]string(cfg.Rules[0].On), []string{"push"}},
		"rules[0].do[0] kind":       {cfg.Rules[0].Do[0].Kind(), "log"},
		"rules[0].do[0].log":        {cfg.Rules[0].Do[0].Log.Message, "pushed {{ .SHA }}"},
		"file":                      {cfg.File, fixture("minimal.yml")},
		"webhook secret (one only)": {len(cfg.GitHub.WebhookSecret), 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s = %#v, want %#v", name, tc.got, tc.want)
			}
		})
	}
}

func TestActionDefaults(t *testing.T) {
	cfg := mustLoad(t, fixture("defaults_actions.yml"), nil)
	do := cfg.Rules[0].Do
	tests := map[string]struct{ got, want any }{
		"jenkins server is the only one":    {do[0].Jenkins.Server, "only"},
		"jenkins context left to runtime":   {do[0].Jenkins.Context, ""},
		"slack connection is the only one":  {do[1].Slack.Connection, "hook"},
		"slack api_url":                     {cfg.Slack["hook"].APIURL, "https://slack.com/api/"},
		"http method":                       {do[2].HTTP.Method, "POST"},
		"http method written":               {do[3].HTTP.Method, "PUT"},
		"http body left to runtime":         {do[2].HTTP.Body == nil, true},
		"jenkins password authentication":   {string(cfg.Jenkins["only"].Password), "p"},
		"slack webhook without channel":     {do[1].Slack.Channel, ""},
		"catch-up default with no app":      {cfg.GitHub.CatchUpInterval, DefaultCatchUpInterval},
		"kinds in order of the action list": {[]string{do[0].Kind(), do[1].Kind(), do[2].Kind()}, []string{"jenkins", "slack", "http"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s: got %#v, want %#v", name, tc.got, tc.want)
			}
		})
	}
}

func TestCatchUpWrittenZeroMeansNever(t *testing.T) {
	cfg := mustLoad(t, fixture("catch_up_never.yml"), nil)
	if cfg.GitHub.CatchUpInterval != 0 {
		t.Errorf("catch_up_interval: 0 loaded as %v, want 0 (never)", cfg.GitHub.CatchUpInterval.Std())
	}
	if cfg.Store.Driver != "postgres" || string(cfg.Store.DSN) != "postgres://switchboard@db.internal/switchboard" {
		t.Errorf("store = %s %q, want postgres with its dsn", cfg.Store.Driver, string(cfg.Store.DSN))
	}
}

func TestExpansion(t *testing.T) {
	cfg := mustLoad(t, fixture("expand.yml"), map[string]string{
		"APP_ID":      "123",
		"MAX_PAYLOAD": "1024",
		"PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----",
		"SECRET":      "the-secret",
		"QUOTED":      "42",
		"EMPTY":       "",
	})
	tests := map[string]struct{ got, want any }{
		"${VAR:-default} unset takes the default": {cfg.Server.Addr, ":8080"},
		"int after expansion":                     {cfg.Server.MaxPayloadBytes, int64(1024)},
		"int64 app id after expansion":            {cfg.GitHub.AppID, int64(123)},
		"secret":                                  {string(cfg.GitHub.PrivateKey), "-----BEGIN RSA PRIVATE KEY-----"},
		"secret list from one variable":           {len(cfg.GitHub.WebhookSecret), 1},
		"secret list value":                       {string(cfg.GitHub.WebhookSecret[0]), "the-secret"},
		"default 0 is written: never":             {cfg.GitHub.CatchUpInterval, Duration(0)},
		"empty default leaves the key unset":      {cfg.Store.Workers, 20},
		"$$ and default in a name":                {cfg.Rules[0].Name, "price-$-default"},
		"$$, template variables, empty var":       {cfg.Rules[0].Do[0].Log.Message, "costs $5 and {{ $x := .SHA }}{{ $x }} fallback"},
		"quoted scalar stays a string":            {*cfg.Rules[0].Do[1].Comment, "42"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s: got %#v, want %#v", name, tc.got, tc.want)
			}
		})
	}
}

func TestQuotedVariableIsAString(t *testing.T) {
	path := fixture("quoted_int.yml")
	_, err := Load(path, env(map[string]string{"APP_ID": "123"}))
	want := path + `:3:11: github.app_id: the value of ${APP_ID} is not an integer; write it without quotes`
	if err == nil || err.Error() != want {
		t.Errorf("Load = %v, want %s", err, want)
	}
}

func TestWebhookSecretList(t *testing.T) {
	cfg := mustLoad(t, fixture("webhook_secret_list.yml"), map[string]string{"NEW_SECRET": "new-one", "OLD_SECRET": "old-one"})
	if got, want := cfg.GitHub.WebhookSecret, (SecretList{"new-one", "old-one"}); !slices.Equal(got, want) {
		t.Errorf("webhook_secret = %d secrets, want the two in order", len(got))
	}
	if got, want := cfg.ItemKey("github.webhook_secret", 1), "github.webhook_secret[1]"; got != want {
		t.Errorf("ItemKey = %q, want %q", got, want)
	}
	if p := cfg.Pos("github.webhook_secret[1]"); p.Line != 4 || p.Column != 7 {
		t.Errorf("Pos(github.webhook_secret[1]) = %v, want line 4 column 7", p)
	}
}

func TestAnchorsAndMerges(t *testing.T) {
	cfg := mustLoad(t, fixture("anchors_valid.yml"), nil)
	cp := cfg.Jenkins["copy"]
	if cp.URL != "https://copy.example.com/" || cp.User != "ci" || string(cp.Token) != "t" {
		t.Errorf("jenkins.copy = %s %s, want the merged server with its own url", cp.URL, cp.User)
	}
	b := cfg.Rules[1]
	if !slices.Equal(b.On, StringList{"push", "pull_request.opened"}) {
		t.Errorf("rules[1].on = %v, want the aliased list", b.On)
	}
	if len(b.Do) != 2 || b.Do[0].Jenkins.Job != "build" || b.Do[1].Jenkins.Job != "merged" || b.Do[1].Jenkins.Server != "copy" || b.Do[1].Jenkins.Report == "" {
		t.Errorf("rules[1].do = %+v %+v, want the aliased build and the merged job", b.Do[0].Jenkins, b.Do[1].Jenkins)
	}
	// Positions of merged keys are where they were written.
	if p := cfg.Pos("rules[1].do[1].jenkins.job"); p.Line != 22 {
		t.Errorf("Pos(merged job) = %v, want line 22", p)
	}
}

func TestExamples(t *testing.T) {
	t.Run("switchboard.yml runs with only a webhook secret", func(t *testing.T) {
		cfg := mustLoad(t, "../examples/switchboard.yml", map[string]string{"GITHUB_WEBHOOK_SECRET": "s"})
		if cfg.GitHub.AppID != 0 || len(cfg.Jenkins) != 0 || len(cfg.Slack) != 0 {
			t.Errorf("example needs credentials: app_id %d, %d jenkins, %d slack", cfg.GitHub.AppID, len(cfg.Jenkins), len(cfg.Slack))
		}
		if cfg.Store.Driver != "sqlite" || string(cfg.Store.DSN) != "switchboard.db" {
			t.Errorf("store = %s, want sqlite switchboard.db", cfg.Store.Driver)
		}
		var on []string
		for _, r := range cfg.Rules {
			on = append(on, r.On...)
			for j, a := range r.Do {
				if a.Kind() != "log" {
					t.Errorf("rule %s action %d is %s, want log", r.Name, j, a.Kind())
				}
			}
		}
		want := []string{"push", "pull_request.opened", "issues.opened", "issue_comment.created"}
		if !slices.Equal(on, want) {
			t.Errorf("events = %v, want %v", on, want)
		}
	})
	t.Run("full.yml loads with its variables set", func(t *testing.T) {
		cfg := mustLoad(t, "../examples/full.yml", map[string]string{
			"GITHUB_WEBHOOK_SECRET": "w", "JENKINS_API_TOKEN": "j", "SLACK_BOT_TOKEN": "xoxb-1", "DEPLOY_SECRET": "d",
		})
		var names, kinds []string
		for _, r := range cfg.Rules {
			names = append(names, r.Name)
			for _, a := range r.Do {
				kinds = append(kinds, a.Kind())
			}
		}
		if want := []string{"build-main", "pr-checks", "release-tags"}; !slices.Equal(names, want) {
			t.Errorf("rules = %v, want %v", names, want)
		}
		if want := []string{"jenkins", "slack", "jenkins", "comment", "label", "status", "http", "log"}; !slices.Equal(kinds, want) {
			t.Errorf("action kinds = %v, want %v", kinds, want)
		}
		if cfg.GitHub.AppID != 123456 || cfg.Jenkins["main"].URL != "https://jenkins.example.com/" || string(cfg.Rules[2].Do[1].HTTP.Secret) != "d" {
			t.Errorf("defaults of ${VAR:-...} or secrets not applied: app_id %d, jenkins %s", cfg.GitHub.AppID, cfg.Jenkins["main"].URL)
		}
		if d := cfg.Rules[1].If.Draft; d == nil || *d {
			t.Errorf("rules[1].if.draft = %v, want false", d)
		}
	})
	t.Run("full.yml names each variable it needs", func(t *testing.T) {
		_, err := Load("../examples/full.yml", env(nil))
		want := "../examples/full.yml:14:19: github.webhook_secret: variable ${GITHUB_WEBHOOK_SECRET} is not set\n" +
			"../examples/full.yml:34:12: jenkins.main.token: variable ${JENKINS_API_TOKEN} is not set\n" +
			"../examples/full.yml:38:12: slack.main.token: variable ${SLACK_BOT_TOKEN} is not set\n" +
			"../examples/full.yml:78:64: rules[2].do[1].http.secret: variable ${DEPLOY_SECRET} is not set"
		if err == nil || err.Error() != want {
			t.Errorf("Load = %v\nwant %s", err, want)
		}
	})
}

func TestPos(t *testing.T) {
	cfg := mustLoad(t, fixture("minimal.yml"), map[string]string{"GITHUB_WEBHOOK_SECRET": "s"})
	tests := map[string]struct {
		key       string
		line, col int
	}{
		"scalar at its value":            {"rules[0].name", 4, 11},
		"list item":                      {"rules[0]", 4, 5},
		"mapping at its key":             {"github", 1, 1},
		"flow mapping value":             {"rules[0].do[0].log.message", 7, 24},
		"default at its nearest parent":  {"rules[0].do[0].log.level", 7, 9},
		"default with no written parent": {"store.dsn", 1, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := cfg.Pos(tc.key)
			if p.Line != tc.line || p.Column != tc.col || p.File != cfg.File {
				t.Errorf("Pos(%s) = %v, want %d:%d", tc.key, p, tc.line, tc.col)
			}
		})
	}
}
