package reporules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/reporules"
)

// Anything in a repository's file is written by whoever may push to its
// default branch: hostile files are refused with an exact answer, and
// nothing of them runs.
func TestHostileRepoFiles(t *testing.T) {
	bomb, err := os.ReadFile(filepath.Join("..", "testdata", "config", "alias_bomb.yml"))
	if err != nil {
		t.Fatal(err)
	}
	bomb = []byte(strings.Replace(string(bomb), "github: {webhook_secret: s}\n", "", 1))
	tests := map[string]struct {
		data string
		want string
	}{
		"over the size bound": {"rules: []\n#" + strings.Repeat("x", reporules.MaxFileBytes),
			".github/switchboard.yml:1:1: the file is 262155 bytes; at most 262144 are read"},
		"not a mapping":      {"- a\n- b\n", ".github/switchboard.yml:1:1: expected a mapping, got a list"},
		"two documents":      {"rules: []\n---\nrules: []\n", ".github/switchboard.yml:2:1: a second YAML document; the file must hold exactly one"},
		"control characters": {"\x00\x01\x02", ".github/switchboard.yml:1:1: invalid YAML: control characters are not allowed"},
		"template reaching the environment": {"rules:\n  - {name: a, on: [push], do: [{log: {message: '{{ env \"HOME\" }}'}}]}\n",
			`.github/switchboard.yml:2:48: rules[0].do[0].log.message: rule repo:a: action 0 (log): template: 1: function "env" not defined`},
		"an action its events cannot carry": {"rules:\n  - {name: l, on: [push], do: [{label: {add: [x]}}]}\n",
			".github/switchboard.yml:2:32: rules[0].do[0]: rule repo:l: action 0 (label): push events have no issue or pull request to label"},
		"a central rule's name": {"rules:\n  - {name: build, on: [push], do: [{log: {message: x}}]}\n",
			`.github/switchboard.yml:2:12: rules[0].name: the central configuration already has a rule named "repo:build"`},
	}
	cfg, err := config.Parse("central.yml", []byte(`github: {webhook_secret: s}
jenkins: {main: {url: "https://ci.example.com/", user: u, token: t}}
repo_rules: {enabled: true, jenkins: {connections: [main], jobs: ["{owner}/{repo}/**"]}}
rules:
  - {name: "repo:build", on: [push], do: [{log: {message: central}}]}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := reporules.Compile(cfg, "acme", "widgets", "acme/widgets", "x", []byte(tc.data))
			if r != nil || err == nil || err.Error() != tc.want {
				t.Fatalf("error\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
	t.Run("alias bomb", func(t *testing.T) {
		_, err := reporules.Compile(cfg, "acme", "widgets", "acme/widgets", "x", bomb)
		if err == nil || !strings.Contains(err.Error(), "aliases") {
			t.Fatalf("error %v, want the alias bound", err)
		}
	})
	t.Run("more than the default 20 rules", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("rules:\n")
		for i := 0; i < 21; i++ {
			b.WriteString("  - {name: r" + strings.Repeat("x", i) + ", on: [push], do: [{log: {message: x}}]}\n")
		}
		_, err := reporules.Compile(cfg, "acme", "widgets", "acme/widgets", "x", []byte(b.String()))
		if want := ".github/switchboard.yml:22:5: rules[20]: 21 rules; the policy allows at most 20 (repo_rules.max_rules)"; err == nil || err.Error() != want {
			t.Fatalf("error\n%v\nwant\n%s", err, want)
		}
	})
}
