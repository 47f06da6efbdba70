package rules

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
)

func goldenEngine(t *testing.T) *Engine {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "testdata", "config", "rules-explain.yml"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e, err := Validate(cfg)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	return e
}

// TestGoldenExplain writes the explanation simulate --explain prints for
// rules-explain.yml (rules-all.yml and rules that fail where it cannot) over every payload of testdata/webhooks and compares it with
// testdata/golden/explain/<name>.txt. Refresh with:
// go test ./rules -run GoldenExplain -update
func TestGoldenExplain(t *testing.T) {
	e := goldenEngine(t)
	for _, tc := range goldenCases(t) {
		t.Run(tc.golden, func(t *testing.T) {
			var out, explain bytes.Buffer
			_ = SimulateExplain(context.Background(), e, tc.event, "golden-"+tc.golden, tc.payload, tc.files, &out, nil, &explain)
			path := filepath.Join("..", "testdata", "golden", "explain", tc.golden+".txt")
			if *update {
				if err := os.WriteFile(path, explain.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./rules -run GoldenExplain -update to create it)", err)
			}
			if !bytes.Equal(explain.Bytes(), want) {
				t.Errorf("explanation differs from %s\n--- got\n%s--- want\n%s", path, explain.Bytes(), want)
			}
		})
	}
}

// TestGoldenExplainCoversEveryCondition: across the golden explanations,
// every condition kind is shown holding and failing, so each kind's text is
// checked both ways on a real payload.
func TestGoldenExplainCoversEveryCondition(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "explain", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden explanations: %v", err)
	}
	var all bytes.Buffer
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, c := range []string{"on", "repository", "branches", "tags", "base", "head", "paths", "labels", "authors", "draft", "expr"} {
		for _, mark := range []string{"ok  ", "FAIL"} {
			if !strings.Contains(all.String(), "  "+mark+"  "+c+": ") {
				t.Errorf("no golden explanation shows %s with %q", c, mark)
			}
		}
	}
}

// TestExplainAgreesWithEvaluate: Explain returns Evaluate's jobs and error,
// a rule is explained as matched exactly when it yielded jobs, every
// explanation that did not match ends with its one failing condition, and
// every one that did has only conditions that held.
func TestExplainAgreesWithEvaluate(t *testing.T) {
	e := goldenEngine(t)
	for _, tc := range goldenCases(t) {
		t.Run(tc.golden, func(t *testing.T) {
			ev, err := NewEvent(tc.event, "d", tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			var lister FileLister
			if tc.files != nil {
				lister = staticFiles(tc.files)
			}
			want, wantErr := e.Evaluate(context.Background(), ev, lister)
			got, ex, gotErr := e.Explain(context.Background(), ev, lister)
			if !reflect.DeepEqual(got, want) || (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("Explain jobs/error differ from Evaluate's:\n%v %v\n%v %v", got, gotErr, want, wantErr)
			}
			withJobs := map[string]bool{}
			for _, j := range want {
				withJobs[j.Rule] = true
			}
			if len(ex) != len(e.byEvent[tc.event]) {
				t.Errorf("%d explanations, want one for each of the %d rules listening to %s", len(ex), len(e.byEvent[tc.event]), tc.event)
			}
			for _, x := range ex {
				if len(x.Conditions) == 0 || x.Conditions[0].Condition != "on" {
					t.Errorf("rule %s: explanation does not start with on: %+v", x.Rule, x.Conditions)
					continue
				}
				if x.Matched != withJobs[x.Rule] {
					t.Errorf("rule %s: matched = %v, but it yielded jobs: %v", x.Rule, x.Matched, withJobs[x.Rule])
				}
				for i, c := range x.Conditions {
					last := i == len(x.Conditions)-1
					if !c.OK && (!last || x.Matched) || c.OK && last && !x.Matched {
						t.Errorf("rule %s: condition %d %+v out of place (matched %v)", x.Rule, i, c, x.Matched)
					}
					if c.Detail == "" || strings.Contains(c.Detail, "\n") {
						t.Errorf("rule %s: condition %s: detail %q is empty or not one line", x.Rule, c.Condition, c.Detail)
					}
				}
			}
		})
	}
}

// TestExplainDetails checks the texts the example payloads do not reach:
// values an event lacks, long lists and values, an expression that fails.
func TestExplainDetails(t *testing.T) {
	draftFalse := false
	tests := map[string]struct {
		cond    config.Conditions
		event   string
		payload string
		want    []Condition
	}{
		"tag push tested for branches": {
			cond:    config.Conditions{Branches: []string{"main", "release/*"}},
			event:   "push",
			payload: `{"ref":"refs/tags/v1.0","repository":{"full_name":"a/b"}}`,
			want:    []Condition{{"branches", false, "the push is of tag v1.0, not a branch; wanted main, release/*"}},
		},
		"branch push tested for tags": {
			cond:    config.Conditions{Tags: []string{"v*"}},
			event:   "push",
			payload: `{"ref":"refs/heads/feature/x","repository":{"full_name":"a/b"}}`,
			want:    []Condition{{"tags", false, "the push is of branch feature/x, not a tag; wanted v*"}},
		},
		"push tested for draft and base": {
			cond:    config.Conditions{Draft: &draftFalse},
			event:   "push",
			payload: `{"ref":"refs/heads/main","repository":{"full_name":"a/b"}}`,
			want:    []Condition{{"draft", false, "the event has no pull request; wanted draft: false"}},
		},
		"no repository": {
			cond:    config.Conditions{Repository: []string{"acme/*"}},
			event:   "push",
			payload: `{"ref":"refs/heads/main"}`,
			want:    []Condition{{"repository", false, "the event has no repository; wanted acme/*"}},
		},
		"many changed files": {
			cond:    config.Conditions{Paths: []string{"docs/**"}},
			event:   "push",
			payload: `{"ref":"refs/heads/main","repository":{"full_name":"a/b"},"commits":[{"added":["f1","f2","f3","f4","f5","f6","f7","f8","f9","f10","f11","f12"]}]}`,
			want:    []Condition{{"paths", false, "changed files are f1, f2, f3, f4, f5, f6, f7, f8, f9, f10 and 2 more; wanted docs/**"}},
		},
		"expression failing": {
			cond:    config.Conditions{Expr: `payload.a.b > 1`},
			event:   "push",
			payload: `{"ref":"refs/heads/main","repository":{"full_name":"a/b"}}`,
		},
		"long branch name is cut": {
			cond:    config.Conditions{Branches: []string{"main"}},
			event:   "push",
			payload: `{"ref":"refs/heads/` + strings.Repeat("x", 300) + `","repository":{"full_name":"a/b"}}`,
			want:    []Condition{{"branches", false, "branch is " + strings.Repeat("x", 200) + "...; wanted main"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := &config.Config{Rules: []*config.Rule{{Name: "r", On: []string{tc.event}, If: tc.cond,
				Do: []*config.Action{{Log: &config.LogAction{Message: "x"}}}}}}
			e, err := Compile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := NewEvent(tc.event, "d", []byte(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			_, ex, evalErr := e.Explain(context.Background(), ev, nil)
			if len(ex) != 1 || ex[0].Matched {
				t.Fatalf("explanations = %+v, want one rule, not matched", ex)
			}
			got := ex[0].Conditions[1:] // after on
			if name == "expression failing" {
				if evalErr == nil || len(got) != 1 || got[0].OK || !strings.HasPrefix(got[0].Detail, "payload.a.b > 1 failed: ") {
					t.Fatalf("got %+v, %v; want one failed expr naming the expression", got, evalErr)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("conditions = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
