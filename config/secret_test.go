package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// secretEnv sets every secret of examples/full.yml to a value that is easy
// to find in output.
var secretValues = map[string]string{
	"GITHUB_WEBHOOK_SECRET": "leak-webhook-9f3a",
	"JENKINS_API_TOKEN":     "leak-jenkins-71bc",
	"SLACK_BOT_TOKEN":       "xoxb-leak-slack-c0de",
	"DEPLOY_SECRET":         "leak-deploy-5e11",
	"SWITCHBOARD_STORE_DSN": "leak-dsn-path.db",
}

// TestSecretsNeverPrint formats and marshals a loaded Config every way a
// log line or a debug dump might, and looks for each secret's value.
func TestSecretsNeverPrint(t *testing.T) {
	cfg := mustLoad(t, "../examples/full.yml", secretValues)
	// The secrets are really there, so what follows is not vacuous.
	held := map[string]string{
		"GITHUB_WEBHOOK_SECRET": string(cfg.GitHub.WebhookSecret[0]),
		"JENKINS_API_TOKEN":     string(cfg.Jenkins["main"].Token),
		"SLACK_BOT_TOKEN":       string(cfg.Slack["main"].Token),
		"DEPLOY_SECRET":         string(cfg.Rules[2].Do[1].HTTP.Secret),
		"SWITCHBOARD_STORE_DSN": string(cfg.Store.DSN),
	}
	for k, v := range held {
		if v != secretValues[k] {
			t.Fatalf("%s loaded as %q, want %q", k, v, secretValues[k])
		}
	}

	jsonOut, err := json.Marshal(cfg)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	yamlOut, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatalf("yaml.Marshal: %v", err)
	}
	outputs := map[string]string{
		"json of the Config": string(jsonOut),
		"yaml of the Config": string(yamlOut),
	}
	values := map[string]any{
		"*Config":         cfg,
		"Config":          *cfg,
		"GitHub":          cfg.GitHub,
		"Store":           cfg.Store,
		"JenkinsServer":   *cfg.Jenkins["main"],
		"SlackConnection": *cfg.Slack["main"],
		"HTTPAction":      *cfg.Rules[2].Do[1].HTTP,
		"SecretList":      cfg.GitHub.WebhookSecret,
		"Secret":          cfg.Jenkins["main"].Token,
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%s", "%+v", "%#v", "%q", "%x", "%d", "%t", "%10.3s"} {
			outputs[name+" "+verb] = fmt.Sprintf(verb, v)
		}
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			for k, v := range secretValues {
				if strings.Contains(out, v) {
					t.Errorf("%s shows the value of %s:\n%s", name, k, out)
				}
			}
		})
	}
	// Where a secret is printed at all, it says <secret>.
	outputs["json of the Config"] = strings.ReplaceAll(outputs["json of the Config"], `\u003c`, "<")
	outputs["json of the Config"] = strings.ReplaceAll(outputs["json of the Config"], `\u003e`, ">")
	for _, name := range []string{"json of the Config", "yaml of the Config", "*Config %v", "*Config %s", "GitHub %v", "GitHub %#v", "JenkinsServer %+v", "HTTPAction %d", "Secret %s", "Secret %d", "SecretList %v"} {
		if !strings.Contains(outputs[name], "<secret>") {
			t.Errorf("%s does not show <secret>:\n%s", name, outputs[name])
		}
	}
	// Redaction keeps what is not secret.
	if out := fmt.Sprintf("%+v", *cfg.Jenkins["main"]); out != "{URL:https://jenkins.example.com/ User:switchboard Token:<secret> Password:<secret> ReportTimeout:6h0m0s}" {
		t.Errorf("JenkinsServer %%+v = %s", out)
	}
	if out := fmt.Sprintf("%#v", cfg.Jenkins["main"].Token); out != `"<secret>"` {
		t.Errorf("Secret %%#v = %s", out)
	}
}

// TestErrorsNeverShowSecrets loads files whose errors are about values that
// are secrets, or that came from the environment, and checks the exact
// messages and that no value appears in them.
func TestErrorsNeverShowSecrets(t *testing.T) {
	tests := map[string]struct {
		file  string
		env   map[string]string
		never []string
		want  []string
	}{
		"a secret's literal value quoted by another key's error": {
			file:  "secret_in_message.yml",
			env:   map[string]string{"JENKINS_PASSWORD": "hunter2-pw"},
			never: []string{"hunter2-literal-secret", "hunter2-pw", "${BAD"},
			want: []string{
				`3:11: github.app_id: "<secret>" is not an integer`,
				`6:10: jenkins.main.url: must not hold credentials`,
				`13:53: rules[0].do[0].http.secret: unterminated variable reference: write ${NAME}, or $$ for a literal $`,
			},
		},
		"a secret that does not decode": {
			file:  "secret_binary.yml",
			never: []string{"hunter2"},
			want:  []string{`3:16: github.private_key: the value is not a string`},
		},
		"values from the environment in type and validation errors": {
			file: "expanded_type_error.yml",
			env: map[string]string{
				"PAYLOAD_LIMIT": "hunter2-limit", "SHUTDOWN": "hunter2-shutdown", "SECRET": "hunter2-secret", "STATE": "hunter2-state",
			},
			never: []string{"hunter2"},
			want: []string{
				`2:22: server.max_payload_bytes: the value of ${PAYLOAD_LIMIT} is not an integer`,
				`3:21: server.shutdown_timeout: the value of ${SHUTDOWN} is not a duration such as 30s or 10m`,
				`10:38: rules[0].do[0].status.state: must be one of pending, success, failure, error, not "${STATE}"`,
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := fixture(tc.file)
			_, err := Load(path, env(tc.env))
			if err == nil {
				t.Fatal("Load succeeded; want errors")
			}
			for _, s := range tc.never {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error shows %q:\n%v", s, err)
				}
			}
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = path + ":" + w
			}
			if err.Error() != strings.Join(want, "\n") {
				t.Errorf("errors:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
			}
		})
	}
}

// TestErrorfScrubs shows that errors made after loading (by package rules,
// say) cannot show a secret or a value read from the environment either.
func TestErrorfScrubs(t *testing.T) {
	cfg := mustLoad(t, fixture("minimal.yml"), map[string]string{"GITHUB_WEBHOOK_SECRET": "hunter2-webhook"})
	tests := map[string]struct {
		format string
		arg    string
		want   string
	}{
		"quoted secret":   {"bad glob %q", "hunter2-webhook", `bad glob "<secret>"`},
		"bare secret":     {"bad glob %s here", "hunter2-webhook", `bad glob <secret> here`},
		"nothing secret":  {"bad glob %q", "release/**[", `bad glob "release/**["`},
		"secret in parts": {"x %s y", "prefix-hunter2-webhook-suffix", `x prefix-<secret>-suffix y`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := cfg.Errorf("rules[0].name", tc.format, tc.arg)
			if e.Msg != tc.want {
				t.Errorf("Msg = %q, want %q", e.Msg, tc.want)
			}
			if e.Key != "rules[0].name" || e.Pos != cfg.Pos("rules[0].name") {
				t.Errorf("Errorf placed at %s %v", e.Key, e.Pos)
			}
		})
	}
}
