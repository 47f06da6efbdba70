package config

import (
	"strings"
	"testing"
)

const repoCentral = `github: {webhook_secret: s}
jenkins:
  main: {url: "https://ci.example.com/", user: u, token: t}
  other: {url: "https://ci2.example.com/", user: u, token: t}
slack:
  chat: {token: xoxb-1}
repo_rules:
  enabled: true
  allow_actions: [jenkins, slack, log, http]
  jenkins: {connections: [main], jobs: ["{owner}/{repo}/**"]}
  slack: {connections: [chat], channels: ["#{repo}-*"]}
  max_rules: 2
`

func centralForRepo(t *testing.T) *Config {
	t.Helper()
	cfg, err := Parse("central.yml", []byte(repoCentral), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A repository's file is checked against the central policy; every
// refusal names its line, column and key.
func TestParseRepo(t *testing.T) {
	tests := map[string]struct {
		file string
		want string // "" when valid
	}{
		"valid, server defaulted": {file: "rules:\n  - {name: b, on: [push], do: [{jenkins: {job: acme/widgets/b}}]}\n"},
		"own connection with url and token": {
			file: "jenkins:\n  evil: {url: \"https://evil.example.com/\", token: t}\nrules: []\n",
			want: `.github/switchboard.yml:1:1: jenkins: unknown key "jenkins"; expected one of: rules`,
		},
		"env reference": {
			file: "rules:\n  - {name: b, on: [push], do: [{log: {message: \"${HOME}\"}}]}\n",
			want: ".github/switchboard.yml:2:48: rules[0].do[0].log.message: a repository's file cannot use ${VAR}: the server's environment is not expanded here; name a connection instead",
		},
		"too many rules": {
			file: "rules:\n  - {name: a, on: [push], do: [{log: {message: a}}]}\n  - {name: b, on: [push], do: [{log: {message: b}}]}\n  - {name: c, on: [push], do: [{log: {message: c}}]}\n",
			want: ".github/switchboard.yml:4:5: rules[2]: 3 rules; the policy allows at most 2 (repo_rules.max_rules)",
		},
		"action not allowed": {
			file: "rules:\n  - {name: a, on: [push], do: [{comment: hi}]}\n",
			want: ".github/switchboard.yml:2:42: rules[0].do[0].comment: action comment is not allowed in a repository's file; the policy allows: jenkins, slack, log, http",
		},
		"http secret": {
			file: "rules:\n  - {name: a, on: [push], do: [{http: {url: \"https://h.example.com/\", secret: s3}}]}\n",
			want: ".github/switchboard.yml:2:79: rules[0].do[0].http.secret: a repository's file cannot hold a secret",
		},
		"unlisted jenkins": {
			file: "rules:\n  - {name: a, on: [push], do: [{jenkins: {server: other, job: acme/widgets/a}}]}\n",
			want: `.github/switchboard.yml:2:51: rules[0].do[0].jenkins.server: jenkins server "other" is not one a repository may use; repo_rules.jenkins.connections: main`,
		},
		"job of another repository": {
			file: "rules:\n  - {name: a, on: [push], do: [{jenkins: {job: acme/other/a}}]}\n",
			want: `.github/switchboard.yml:2:48: rules[0].do[0].jenkins.job: job "acme/other/a" is outside what the policy allows this repository: acme/widgets/**`,
		},
		"central-only option": {
			file: "rules:\n  - {name: a, on: [push], allow_self: true, do: [{log: {message: a}}]}\n",
			want: ".github/switchboard.yml:2:39: rules[0].allow_self: is for central rules only; a repository's rules cannot set it",
		},
		"channel outside": {
			file: "rules:\n  - {name: a, on: [push], do: [{slack: {channel: \"#general\", text: hi}}]}\n",
			want: `.github/switchboard.yml:2:50: rules[0].do[0].slack.channel: channel "#general" is outside what the policy allows this repository: #widgets-*`,
		},
	}
	central := centralForRepo(t)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := ParseRepo(".github/switchboard.yml", []byte(tc.file), central, "acme", "widgets")
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if s := cfg.Rules[0].Do[0].Jenkins.Server; s != "main" {
					t.Errorf("server %q, want the only allowed one, main", s)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
}

// The central policy itself is validated.
func TestRepoRulesPolicyErrors(t *testing.T) {
	text := `github: {webhook_secret: s}
jenkins: {main: {url: "https://ci.example.com/", user: u, token: t}}
repo_rules:
  enabled: true
  allow_actions: [jenkins, shell]
  jenkins: {connections: [main, nope]}
  slack: {channels: ["[bad"]}
  max_rules: 0
`
	_, err := Parse("central.yml", []byte(text), nil)
	want := []string{
		`central.yml:5:28: repo_rules.allow_actions[1]: unknown action "shell"; known: jenkins, slack, comment, label, status, http, log`,
		`central.yml:6:3: repo_rules.jenkins.jobs: is required when repositories may use Jenkins: the job globs they may trigger, such as "{owner}/{repo}/**"`,
		`central.yml:6:33: repo_rules.jenkins.connections[1]: jenkins server "nope" is not defined; defined: main`,
		`central.yml:7:22: repo_rules.slack.channels[0]: bad glob "[bad"`,
		`central.yml:8:14: repo_rules.max_rules: must be greater than 0 (the default is 20)`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("errors\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

// Off by default, with the documented defaults.
func TestRepoRulesDefaults(t *testing.T) {
	cfg, err := Parse("central.yml", []byte("github: {webhook_secret: s}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.RepoRules
	if p.Enabled || p.MaxRules != 20 || strings.Join(p.AllowActions, ",") != "jenkins,slack,comment,label,status,log" {
		t.Errorf("defaults %+v", p)
	}
}
