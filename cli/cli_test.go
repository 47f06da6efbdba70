package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, Env{
		Stdin:     strings.NewReader(stdin),
		Stdout:    &out,
		Stderr:    &errb,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Version:   "v0.0.0-test",
	})
	return code, out.String(), errb.String()
}

func TestValidateReportsEachProblemOnItsOwnLine(t *testing.T) {
	path := filepath.Join("..", "testdata", "cli", "three-problems.yml")
	code, stdout, stderr := run(t, map[string]string{"JENKINS_API_TOKEN": "s3cr3t-token"}, "", "validate", "-c", path)
	if code == 0 {
		t.Fatalf("exit 0 for an invalid config")
	}
	want := []string{
		path + `:3:3: server.listen_backlog: unknown key "listen_backlog"; expected one of: addr, webhook_path, max_payload_bytes, shutdown_timeout, max_inflight_body_bytes, admin_token, tls`,
		path + `:5:19: github.webhook_secret: variable ${GITHUB_WEBHOOK_SECRET} is not set`,
		path + `:17:19: rules[0].do[0].jenkins.server: jenkins server "ci" is not defined; defined: main`,
	}
	got := strings.Split(strings.TrimSpace(stderr), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, strings.Join(want, "\n"))
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
	if strings.Contains(stderr, "s3cr3t-token") {
		t.Error("a secret's value reached the output")
	}
}

func TestValidateAcceptsTheExamples(t *testing.T) {
	env := map[string]string{
		"GITHUB_WEBHOOK_SECRET": "w", "JENKINS_API_TOKEN": "j", "SLACK_BOT_TOKEN": "xoxb-1",
		"DEPLOY_SECRET": "d", "GITHUB_PRIVATE_KEY": "k",
		"STRIPE_WEBHOOK_SECRET": "whsec_x", "SLACK_SIGNING_SECRET": "s",
	}
	for _, name := range []string{"switchboard.yml", "full.yml", "sources.yml"} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(t, env, "", "validate", "--config", filepath.Join("..", "examples", name))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.HasSuffix(strings.TrimSpace(stdout), "rules)") {
				t.Errorf("stdout = %q", stdout)
			}
		})
	}
}

func TestConfigPathFromEnvironment(t *testing.T) {
	code, _, stderr := run(t, map[string]string{"SWITCHBOARD_CONFIG": "does-not-exist.yml"}, "", "validate")
	if code == 0 || !strings.Contains(stderr, "does-not-exist.yml") {
		t.Fatalf("exit %d, stderr %q: want a failure naming SWITCHBOARD_CONFIG's file", code, stderr)
	}
}

func TestSimulateReadsStdin(t *testing.T) {
	payload, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "issues.opened.json"))
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, map[string]string{"GITHUB_WEBHOOK_SECRET": "w"}, string(payload),
		"simulate", "-c", filepath.Join("..", "examples", "switchboard.yml"), "--event", "issues", "--payload", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"rule":"issue-opened"`) || !strings.Contains(lines[0], `"action":"log"`) {
		t.Fatalf("simulate output:\n%s", stdout)
	}
}

// A payload file that cannot be read ends simulate before the config is
// read: exit 1, the read error on stderr, nothing on stdout.
func TestSimulateMissingPayloadFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	code, stdout, stderr := run(t, nil, "", "simulate", "-c", filepath.Join("..", "examples", "switchboard.yml"),
		"--event", "push", "--payload", missing)
	want := "switchboard simulate: read payload: open " + missing + ": no such file or directory\n"
	if code != 1 || stderr != want || stdout != "" {
		t.Errorf("exit %d stdout %q stderr %q, want exit 1, no stdout, stderr %q", code, stdout, stderr, want)
	}
}

// An action that does not render and an expr that fails on the payload:
// the jobs that did render on stdout, then the errors on stderr, exit 1.
func TestSimulateReportsRuleErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.yml")
	cfg := `github: {webhook_secret: s}
rules:
  - name: notify
    on: [push]
    do:
      - log: {message: "push {{ .Delivery }}"}
      - log: {message: "{{ .Payload.nope }}"}
  - name: big
    on: [push]
    if: {expr: 'payload.head_commit.message startsWith "Big"'}
    do:
      - log: {message: big}
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// A branch deletion: "head_commit" is null.
	code, stdout, stderr := run(t, nil, "", "simulate", "-c", path, "--event", "push",
		"--payload", filepath.Join("..", "testdata", "webhooks", "push.branch-delete.json"))
	wantOut := `{"rule":"notify","action":"log","message":"push simulated"}` + "\n"
	wantErr := `switchboard simulate: rule notify: action 1 (log): log.message: 1:11: .Payload.nope: map has no entry for key "nope"` + "\n" +
		`rule big: expr: cannot fetch message from <nil> (1:21)` + "\n"
	if code != 1 || stdout != wantOut || stderr != wantErr {
		t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit 1\nstdout %q\nstderr %q", code, stdout, stderr, wantOut, wantErr)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "usage: switchboard"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"simulate without event", []string{"simulate", "--payload", "x.json"}, 2, "--event and --payload are required"},
		{"unknown flag", []string{"validate", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"misspelt event", []string{"simulate", "--event", "pul_request", "--payload", "x.json"}, 2,
			`switchboard simulate: --event "pul_request" is not an event rules can listen to; one of: `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, nil, "", c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d stderr %q, want exit %d containing %q", code, stderr, c.code, c.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := run(t, nil, "", "version")
	if code != 0 || stdout != "switchboard v0.0.0-test\n" {
		t.Fatalf("exit %d stdout %q", code, stdout)
	}
}

// The README's configuration example is a real configuration.
func TestReadmeConfigExampleValidates(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i := strings.Index(s, "## Configuration")
	start := strings.Index(s[i:], "```yaml\n") + i + len("```yaml\n")
	end := strings.Index(s[start:], "```") + start
	path := filepath.Join(t.TempDir(), "readme.yml")
	if err := os.WriteFile(path, []byte(s[start:end]), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_WEBHOOK_SECRET": "w", "JENKINS_API_TOKEN": "j", "SLACK_BOT_TOKEN": "xoxb-1"}
	code, _, stderr := run(t, env, "", "validate", "-c", path)
	if code != 0 {
		t.Fatalf("README example: exit %d\n%s", code, stderr)
	}
}
