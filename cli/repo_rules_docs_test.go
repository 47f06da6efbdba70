package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/reporules"
)

// docs/repo-rules.md: its central policy loads, its monorepo example is
// testdata/reporules/monorepo.yml and passes that policy, and the actions
// it shows are what simulate --repo-config prints for it (the golden
// file).
func TestRepoRulesDoc(t *testing.T) {
	items := markdownItems(readFile(t, filepath.Join("..", "docs", "repo-rules.md")))
	var central *config.Config
	var repoFile, jsonBlock string
	for _, it := range items {
		switch {
		case it.lang == "yaml" && strings.HasPrefix(it.body, "# central"):
			cfg, err := config.Parse("doc.yml", []byte(it.body), func(string) (string, bool) { return "x", true })
			if err != nil {
				t.Fatalf("repo-rules.md:%d: central policy: %v", it.line, err)
			}
			central = cfg
		case it.lang == "yaml" && strings.HasPrefix(it.body, "# .github/switchboard.yml"):
			repoFile = it.body
		case it.lang == "json":
			jsonBlock = it.body
		}
	}
	if central == nil || repoFile == "" || jsonBlock == "" {
		t.Fatalf("repo-rules.md lacks the central policy, the example or its actions")
	}
	if want := readFile(t, filepath.Join("..", "testdata", "reporules", "monorepo.yml")); repoFile != want {
		t.Errorf("the example differs from testdata/reporules/monorepo.yml:\n%s", repoFile)
	}
	if _, err := reporules.CompileFile(central, "doc", "acme", "widgets", "acme/widgets", "x", []byte(repoFile)); err != nil {
		t.Errorf("the example breaks the documented policy: %v", err)
	}
	golden := readFile(t, filepath.Join("..", "testdata", "golden", "reporules", "simulate-monorepo.txt"))
	for _, line := range strings.Split(strings.TrimSpace(jsonBlock), "\n") {
		if !strings.Contains(golden, line+"\n") {
			t.Errorf("simulate does not print the documented line %s", line)
		}
	}
}
