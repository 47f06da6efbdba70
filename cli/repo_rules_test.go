package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var updateRepo = flag.Bool("update", false, "rewrite testdata/golden/reporules from the current output")

// The repository rules tools: validate --repo and simulate --repo-config,
// their exit code, standard output and standard error against golden
// files (refresh with go test ./cli -run TestRepoRulesTools -update).
func TestRepoRulesTools(t *testing.T) {
	dir := filepath.Join("..", "testdata", "reporules")
	central := filepath.Join(dir, "central.yml")
	env := map[string]string{"GITHUB_WEBHOOK_SECRET": "whs-never-shown", "JENKINS_TOKEN": "jt-never-shown", "SLACK_TOKEN": "xoxb-never-shown"}
	push := filepath.Join(dir, "push.json")
	tests := map[string][]string{
		"validate-ok":            {"validate", "-c", central, "--repo", filepath.Join(dir, "monorepo.yml"), "--for", "acme/widgets"},
		"validate-without-for":   {"validate", "-c", central, "--repo", filepath.Join(dir, "monorepo.yml")},
		"validate-bad":           {"validate", "-c", central, "--repo", filepath.Join(dir, "bad.yml"), "--for", "acme/widgets"},
		"validate-bad-for":       {"validate", "-c", central, "--repo", filepath.Join(dir, "bad.yml"), "--for", "widgets"},
		"simulate-monorepo":      {"simulate", "-c", central, "--event", "push", "--payload", push, "--repo-config", filepath.Join(dir, "monorepo.yml"), "--explain"},
		"simulate-render-refuse": {"simulate", "-c", central, "--event", "push", "--payload", push, "--repo-config", filepath.Join(dir, "render.yml")},
		"simulate-bad":           {"simulate", "-c", central, "--event", "push", "--payload", push, "--repo-config", filepath.Join(dir, "bad.yml")},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(t, env, "", args...)
			got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, stdout, stderr)
			golden := filepath.Join("..", "testdata", "golden", "reporules", name+".txt")
			if *updateRepo {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("output:\n%s\nwant (%s):\n%s", got, golden, want)
			}
			for _, s := range env {
				if bytesContains(got, s) {
					t.Errorf("a secret reached the output: %s", got)
				}
			}
		})
	}
}

func bytesContains(s, sub string) bool { return len(sub) > 0 && len(s) >= len(sub) && contains(s, sub) }

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
