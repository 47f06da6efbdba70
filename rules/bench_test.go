package rules

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
)

// benchRules is 1,000 rules on push, all on the event's repository glob, of
// which: one in ten has an expression (one in a hundred true, so ten rules
// match and render a log action), four in ten branch globs that do not
// match, three in ten labels (a push has none), two in ten paths that do
// not match and an authors negation.
func benchRules() *config.Config {
	cfg := &config.Config{}
	for i := 0; i < 1000; i++ {
		r := &config.Rule{Name: fmt.Sprintf("rule-%d", i), On: []string{"push"},
			If: config.Conditions{Repository: []string{"acme/*", "other/*"}},
			Do: []*config.Action{{Log: &config.LogAction{Message: "{{ .Sender }} pushed {{ .ShortSHA }} to {{ .Branch }}"}}}}
		switch i % 10 {
		case 0:
			r.If.Branches = []string{"main", "release/**"}
			if i%100 == 0 {
				r.If.Expr = `payload.ref == "refs/heads/main" && len(payload.commits) > 0`
			} else {
				r.If.Expr = fmt.Sprintf(`payload.ref == "refs/heads/team-%d"`, i)
			}
		case 1, 2, 3, 4:
			r.If.Branches = []string{"release/**", fmt.Sprintf("team-%d/*", i)}
		case 5, 6, 7:
			r.If.Labels = []string{"!skip-ci", "bug"}
		case 8, 9:
			r.If.Branches = []string{"main"}
			r.If.Authors = []string{"!dependabot[bot]"}
			r.If.Paths = []string{"docs/**", fmt.Sprintf("services/s%d/**", i)}
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	return cfg
}

func benchPush(b *testing.B) *Event {
	ev, err := NewEvent("push", "bench", []byte(`{
		"ref": "refs/heads/main", "after": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
		"repository": {"full_name": "acme/app", "name": "app", "owner": {"login": "acme"}},
		"sender": {"login": "octocat"},
		"commits": [{"id": "6113728f", "message": "Fix", "added": ["src/a.go"], "modified": ["src/b.go", "README.md"], "removed": []}]}`))
	if err != nil {
		b.Fatal(err)
	}
	return ev
}

// BenchmarkMatchPush1000Rules: Evaluate of one push against 1,000 rules.
// Target: under 1 ms per operation.
func BenchmarkMatchPush1000Rules(b *testing.B) {
	e, err := Compile(benchRules())
	if err != nil {
		b.Fatal(err)
	}
	ev := benchPush(b)
	jobs, err := e.Evaluate(context.Background(), ev, nil)
	if err != nil || len(jobs) != 10 {
		b.Fatalf("want 10 jobs, got %d (%v)", len(jobs), err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Evaluate(context.Background(), ev, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExplainPush1000Rules: Explain of the same push, as the
// processor runs it once per delivery to record why each rule matched or
// not (1,000 explanations).
func BenchmarkExplainPush1000Rules(b *testing.B) {
	e, err := Compile(benchRules())
	if err != nil {
		b.Fatal(err)
	}
	ev := benchPush(b)
	jobs, ex, err := e.Explain(context.Background(), ev, nil)
	if err != nil || len(jobs) != 10 || len(ex) != 1000 {
		b.Fatalf("want 10 jobs and 1000 explanations, got %d, %d (%v)", len(jobs), len(ex), err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := e.Explain(context.Background(), ev, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderSlackText renders DESIGN.md's Slack text, escaped.
// Target: under 20 µs per operation.
func BenchmarkRenderSlackText(b *testing.B) {
	t, err := compileTemplate("{{ .Sender }} pushed {{ .ShortSHA }} to {{ .Repository.FullName }}@{{ .Branch }}", escapeSlack)
	if err != nil {
		b.Fatal(err)
	}
	ev := benchPush(b)
	if s, err := t.render(ev); err != nil || s != "octocat pushed 6113728 to acme/app@main" {
		b.Fatalf("render: %q, %v", s, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := t.render(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewEventPullRequest converts a 28 KB pull_request payload.
func BenchmarkNewEventPullRequest(b *testing.B) {
	data := readPayload(b, "pull_request.opened.json")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := NewEvent("pull_request", "bench", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewEventPush converts GitHub's 8.9 KB example push, about the
// size of the pushes scripts/bench-intake.sh sends (8 KiB); every delivery
// is parsed once, on the request path when the processor decides it
// there.
func BenchmarkNewEventPush(b *testing.B) {
	data := readPayload(b, "push.branch.json")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := NewEvent("push", "bench", data); err != nil {
			b.Fatal(err)
		}
	}
}
