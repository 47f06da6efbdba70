package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzEnvValue is what every variable is set to while fuzzing: it must never
// appear in an error unless the file itself holds it.
const fuzzEnvValue = "fuzz-env-Q7xZ"

// FuzzParse feeds arbitrary files to Parse. It must never panic, and what
// it returns must keep Parse's promises: either a valid Config, or only
// Errors, each placed in the file, none showing a variable's value.
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 10m ./config/
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"../testdata/config", "../examples"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("github: {webhook_secret: ${X}}\nrules: [{name: a, on: push, do: [{log: {message: $$}}]}]"))
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("<<: {github: {webhook_secret: s}}"))

	lookup := func(name string) (string, bool) {
		if name == "EMPTY" {
			return "", true
		}
		if strings.HasPrefix(name, "UNSET") {
			return "", false
		}
		return fuzzEnvValue, true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yml", data, lookup)
		if err == nil {
			if cfg == nil {
				t.Fatal("Parse returned neither a Config nor an error")
			}
			checkLoaded(t, cfg)
			return
		}
		if cfg != nil {
			t.Fatal("Parse returned a Config along with an error")
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("Parse error is %T, not Errors: %v", err, err)
		}
		for _, e := range es {
			if e.Pos.File != "fuzz.yml" || e.Pos.Line < 1 || e.Pos.Column < 1 {
				t.Errorf("problem placed at %v: %v", e.Pos, e)
			}
		}
		if !bytes.Contains(data, []byte(fuzzEnvValue)) && strings.Contains(err.Error(), fuzzEnvValue) {
			t.Errorf("error shows a variable's value:\n%v", err)
		}
	})
}

// checkLoaded checks what Parse promises of a Config it returns.
func checkLoaded(t *testing.T, cfg *Config) {
	t.Helper()
	if len(cfg.GitHub.WebhookSecret) == 0 {
		t.Error("loaded without a webhook secret")
	}
	for _, s := range cfg.GitHub.WebhookSecret {
		if s == "" {
			t.Error("loaded with an empty webhook secret")
		}
	}
	for i, r := range cfg.Rules {
		if r == nil || r.Name == "" || len(r.On) == 0 || len(r.Do) == 0 {
			t.Fatalf("rule %d loaded incomplete: %+v", i, r)
		}
		for j, a := range r.Do {
			if a.Kind() == "" {
				t.Errorf("rules[%d].do[%d] loaded without a kind", i, j)
			}
			if a.Jenkins != nil {
				if _, ok := cfg.JenkinsServer(a.Jenkins.Server); !ok {
					t.Errorf("rules[%d].do[%d] names jenkins server %q, not configured", i, j, a.Jenkins.Server)
				}
			}
			if a.Slack != nil {
				if _, ok := cfg.SlackConnection(a.Slack.Connection); !ok {
					t.Errorf("rules[%d].do[%d] names slack connection %q, not configured", i, j, a.Slack.Connection)
				}
			}
		}
	}
	if cfg.Server.MaxPayloadBytes <= 0 || cfg.Store.Workers <= 0 || cfg.Retry.InitialBackoff > cfg.Retry.MaxBackoff {
		t.Errorf("loaded with invalid limits: %+v %+v %+v", cfg.Server, cfg.Store, cfg.Retry)
	}
}
