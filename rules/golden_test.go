package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// goldenCase is one simulate run: a payload, the changed files given to it,
// and the golden file it is compared with.
type goldenCase struct {
	event   string
	payload []byte
	files   []string
	golden  string
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "webhooks", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no payloads: %v", err)
	}
	var cases []goldenCase
	for _, p := range paths {
		base := strings.TrimSuffix(filepath.Base(p), ".json")
		event, _, _ := strings.Cut(base, ".")
		data := readPayload(t, filepath.Base(p))
		var files []string
		if event == "pull_request" {
			files = []string{"README.md"} // what the example pull request changes
		}
		cases = append(cases, goldenCase{event, data, files, base})
	}
	// The same pull request with its files unknown: paths: cannot match.
	cases = append(cases, goldenCase{"pull_request", readPayload(t, "pull_request.opened.json"), nil, "pull_request.opened.files-unknown"})
	// With a title that would ping a channel and break JSON if not escaped.
	var pr map[string]any
	if err := json.Unmarshal(readPayload(t, "pull_request.opened.json"), &pr); err != nil {
		t.Fatal(err)
	}
	pr["pull_request"].(map[string]any)["title"] = `<!channel> "urgent" & <@U024BE7LH>`
	hostile, err := json.Marshal(pr)
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, goldenCase{"pull_request", hostile, []string{"README.md"}, "pull_request.opened.hostile-title"})
	return cases
}

// TestGoldenSimulate runs Simulate with testdata/config/rules-all.yml over
// every payload in testdata/webhooks and compares the output, plus one
// {"note": ...} line per note and one {"error": ...} line per reported error, with testdata/golden/<name>.jsonl.
// Refresh with: go test ./rules -run Golden -update
func TestGoldenSimulate(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "testdata", "config", "rules-all.yml"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e, err := Validate(cfg)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for _, tc := range goldenCases(t) {
		t.Run(tc.golden, func(t *testing.T) {
			var out, notes bytes.Buffer
			simErr := Simulate(context.Background(), e, tc.event, "golden-"+tc.golden, tc.payload, tc.files, &out, &notes)
			for _, line := range strings.Split(strings.TrimSuffix(notes.String(), "\n"), "\n") {
				if line != "" {
					b, _ := json.Marshal(map[string]string{"note": line})
					out.Write(append(b, '\n'))
				}
			}
			if simErr != nil {
				for _, line := range strings.Split(simErr.Error(), "\n") {
					b, _ := json.Marshal(map[string]string{"error": line})
					out.Write(append(b, '\n'))
				}
			}
			for i, line := range bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n")) {
				if len(line) > 0 && !json.Valid(line) {
					t.Errorf("line %d is not JSON: %s", i+1, line)
				}
			}
			path := filepath.Join("..", "testdata", "golden", tc.golden+".jsonl")
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./rules -run Golden -update to create it)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("simulate output differs from %s\n--- got\n%s--- want\n%s", path, out.Bytes(), want)
			}
		})
	}
}

// TestGoldenCoversEveryConditionAndKind keeps rules-all.yml honest: it must
// use every condition and every action kind, and every rule must match at
// least one payload, or the golden files prove less than they seem to.
func TestGoldenCoversEveryConditionAndKind(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "testdata", "config", "rules-all.yml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	conds := map[string]bool{}
	kinds := map[string]bool{}
	for _, r := range cfg.Rules {
		c := r.If
		for name, set := range map[string]bool{
			"repository": len(c.Repository) > 0, "branches": len(c.Branches) > 0, "tags": len(c.Tags) > 0,
			"base": len(c.Base) > 0, "head": len(c.Head) > 0, "paths": len(c.Paths) > 0, "labels": len(c.Labels) > 0,
			"authors": len(c.Authors) > 0, "draft": c.Draft != nil, "expr": c.Expr != "",
		} {
			conds[name] = conds[name] || set
		}
		for _, a := range r.Do {
			k, _ := actionKind(a)
			kinds[k] = true
		}
	}
	for _, c := range []string{"repository", "branches", "tags", "base", "head", "paths", "labels", "authors", "draft", "expr"} {
		if !conds[c] {
			t.Errorf("rules-all.yml uses no %s condition", c)
		}
	}
	for _, k := range []string{"jenkins", "slack", "comment", "label", "status", "http", "log"} {
		if !kinds[k] {
			t.Errorf("rules-all.yml has no %s action", k)
		}
	}

	goldens, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, r := range cfg.Rules {
		if r.Name == "bots-only" {
			continue // no example payload is by a bot: it shows a rule that does not match
		}
		if !bytes.Contains(all.Bytes(), []byte(`"rule":"`+r.Name+`"`)) {
			t.Errorf("rule %s matches no golden payload", r.Name)
		}
	}
}
