package rules

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/switchboard-dev/switchboard/config"
)

// fuzzEvents are the event names a fuzzed payload is read as.
func fuzzEvents() []string {
	return []string{"push", "pull_request", "issues", "issue_comment", "ping", "installation", "installation_repositories", "release"}
}

func seedPayloads(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "webhooks", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		event, _, _ := strings.Cut(filepath.Base(p), ".")
		for i, name := range fuzzEvents() {
			if name == event {
				f.Add(uint8(i), data, "")
			}
		}
	}
	f.Add(uint8(1), []byte(`{"action":"opened","pull_request":{"title":"<!channel> \"x\" & y","number":1,"labels":[{"name":"<b>"}]}}`), "<!channel>")
	f.Add(uint8(0), []byte(`{"ref":"refs/heads/../..","commits":[{"added":["a"],"message":"<!here>"}]}`), "..")
	f.Add(uint8(2), []byte(`{}`), "\"}, \"x\": {\"\u2028 \\")
}

// fuzzURL is FuzzRender's http url: values in the path, query and fragment.
const fuzzURL = "https://x.example/b/{{ .Branch }}/{{ .Sender }}?t={{ .Tag }}&r={{ .Repository.FullName }}#{{ .SHA }}"

// FuzzRender renders every kind of action, including Slack text, blocks and
// a JSON http body over untrusted fields, for a fuzzed payload read as each
// known event. It must never panic, and the escaping must hold: no raw < or
// > from the event in Slack text, blocks and JSON bodies that parse, and an
// http url whose host, path segments and query keys are the rule's, with
// no "." or ".." segment.
func FuzzRender(f *testing.F) {
	seedPayloads(f)
	body := `{"title": "{{ with .PullRequest }}{{ .Title }}{{ end }}", "sender": "{{ .Sender }}", "labels": {{ with .PullRequest }}{{ json .Labels }}{{ else }}[]{{ end }}}`
	cfg := &config.Config{
		Jenkins: map[string]*config.JenkinsServer{"main": {URL: "https://jenkins.example.com/"}},
		Slack:   map[string]*config.SlackConnection{"main": {Token: "xoxb"}},
		Rules: []*config.Rule{{
			Name: "all", On: fuzzEvents(),
			If: config.Conditions{Repository: []string{"**"}, Labels: []string{"!skip"}, Authors: []string{"!dependabot[bot]"}},
			Do: []*config.Action{
				{Slack: &config.SlackAction{Channel: "#c", Text: "{{ .Sender }} {{ .Branch }}{{ with .PullRequest }} {{ .Title }} {{ join \",\" .Labels }}{{ end }}{{ range .Commits }} {{ .Message }}{{ end }}",
					Blocks: `[{"type":"section","text":{"type":"mrkdwn","text":"{{ .Sender }}{{ with .Issue }} {{ .Title }}{{ end }}"}}]`}},
				{HTTP: &config.HTTPAction{URL: fuzzURL, Body: &body}},
				{Jenkins: &config.JenkinsAction{Job: "acme/{{ default \"none\" .Branch }}", Parameters: map[string]string{"T": "{{ .Tag }}"}}},
				{Log: &config.LogAction{Message: "{{ .Payload }} {{ json .Payload }} {{ .Repository }} {{ .Commits }} {{ trunc 10 .Sender }} {{ quote .Ref }}"}},
			},
		}},
	}
	e, err := Compile(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sel uint8, payload []byte, text string) {
		name := fuzzEvents()[int(sel)%len(fuzzEvents())]
		evs := []*Event{textEvent(name, text)}
		if ev, err := NewEvent(name, "fuzz", payload); err == nil {
			// The maps are built on first use, their error dropped: what
			// NewEvent accepted must decode.
			if ev.Payload() == nil {
				t.Fatalf("NewEvent accepted %q but its Payload is nil", payload)
			}
			evs = append(evs, ev)
		}
		for _, ev := range evs {
			checkFuzzJobs(t, e, ev)
		}
	})
}

// textEvent is an event of the given name whose every string field holds
// text: random payload bytes seldom make valid JSON, so this puts arbitrary
// strings in front of every template anyway.
func textEvent(name, text string) *Event {
	return &Event{Event: name, Action: text, Delivery: text, Sender: text, Ref: text, Branch: text, Tag: text, SHA: text, ShortSHA: text,
		Repository:  Repository{FullName: text, Owner: text, Name: text, HTMLURL: text, DefaultBranch: text},
		PullRequest: &PullRequest{Number: len(text), Title: text, HTMLURL: text, Base: text, Head: text, Labels: []string{text}, Author: text},
		Issue:       &Issue{Title: text, HTMLURL: text, Labels: []string{text}, Author: text},
		Comment:     &Comment{Body: text, Author: text},
		Commits:     []Commit{{ID: text, Message: text, Author: text, URL: text, Added: []string{text}}},
		raw:         &rawPayload{m: map[string]any{"text": text, "list": []any{text, int64(1)}, "nested": map[string]any{"k": text}}},
	}
}

func checkFuzzJobs(t *testing.T, e *Engine, ev *Event) {
	t.Helper()
	{
		jobs, _ := e.Evaluate(context.Background(), ev, staticFiles{"a.go"})
		for _, j := range jobs {
			switch j.Kind {
			case "slack":
				text := j.Slack.Text
				if strings.ContainsAny(text, "<>") {
					t.Fatalf("Slack text holds a raw < or >: %q", text)
				}
				if !json.Valid([]byte(j.Slack.Blocks)) {
					t.Fatalf("blocks are not JSON: %s", j.Slack.Blocks)
				}
			case "http":
				checkFuzzURL(t, j.HTTP.URL, ev)
				var m map[string]any
				if err := json.Unmarshal([]byte(*j.HTTP.Body), &m); err != nil || len(m) != 3 {
					t.Fatalf("JSON body broken or holds other keys: %v %s", err, *j.HTTP.Body)
				}
			case "jenkins":
				if msg := checkJobPath(j.Jenkins.Job); msg != "" {
					t.Fatalf("a refused job path was rendered: %s", msg)
				}
			}
		}
	}
}

// checkFuzzURL checks a rendered fuzzURL: the values stayed where they were
// put, and came back whole.
func checkFuzzURL(t *testing.T, raw string, ev *Event) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("rendered url does not parse: %v: %q", err, raw)
	}
	if u.Scheme != "https" || u.Host != "x.example" || u.User != nil {
		t.Fatalf("rendered url goes elsewhere: %q", raw)
	}
	segs := strings.Split(u.EscapedPath(), "/")
	if len(segs) != 4 || segs[1] != "b" {
		t.Fatalf("values added path segments: %q", raw)
	}
	for _, seg := range segs {
		if dec, _ := url.PathUnescape(seg); dec == "." || dec == ".." {
			t.Fatalf("a %q segment was rendered: %q", dec, raw)
		}
	}
	if dec, _ := url.PathUnescape(segs[2]); dec != ev.Branch {
		t.Fatalf("branch came back as %q, want %q", dec, ev.Branch)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil || len(q) != 2 || q.Get("t") != ev.Tag || q.Get("r") != ev.Repository.FullName {
		t.Fatalf("query %q does not hold exactly t=%q and r=%q: %v", u.RawQuery, ev.Tag, ev.Repository.FullName, err)
	}
}

// FuzzExpr compiles a fuzzed expression the way Compile does and, when it
// compiles, runs it against sample payloads. It must never panic.
func FuzzExpr(f *testing.F) {
	for _, src := range []string{
		"payload.pull_request.additions < 2000",
		`payload.ref startsWith "refs/tags/"`,
		"(payload.pull_request?.additions ?? 0) > 10 && !payload.deleted",
		`any(payload.commits, {.message contains "[skip ci]"})`,
		`len(payload.pull_request.labels) > 0 and payload.pull_request.labels[0].name == "bug"`,
		`payload.comment.body matches "^/retest"`,
		"payload.x / 0 == 1",
		"payload",
	} {
		f.Add(src)
	}
	var events []*Event
	for _, name := range []string{"push.branch.json", "pull_request.opened.json", "issue_comment.created.json"} {
		events = append(events, loadEvent(f, name))
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(oneRule([]string{"push", "pull_request", "issue_comment"}, config.Conditions{Expr: src}))
		if err != nil {
			var errs config.Errors
			if !errorsAs(err, &errs) {
				t.Fatalf("Compile returned %T, want config.Errors", err)
			}
			return
		}
		for _, ev := range events {
			_, _ = e.Evaluate(context.Background(), ev, nil)
		}
	})
}

func errorsAs(err error, target *config.Errors) bool {
	es, ok := err.(config.Errors)
	if ok {
		*target = es
	}
	return ok
}

// FuzzGlob compares the fast glob shapes with doublestar on any valid
// pattern and name. A name equal to its pattern matches by design (a label
// such as "[wip]" matches itself), so that case is left out, and so is
// invalid UTF-8, which neither YAML nor GitHub's JSON can carry (doublestar
// takes any two invalid bytes as equal runes).
func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{{"release/**", "release/1/2"}, {"*.md", "a.md"}, {"**/*.md", "x/a.md"}, {"acme/*", "acme/app"}, {"*x", "a/x"}, {"a{b,c}", "ab"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if pattern == name || !utf8.ValidString(pattern) || !utf8.ValidString(name) || !doublestar.ValidatePattern(pattern) {
			return
		}
		g, _, msg := parseGlob(pattern, globKind{})
		if msg != "" {
			return
		}
		if strings.HasPrefix(pattern, "!") {
			return
		}
		if got, want := g.match(name), doublestar.MatchUnvalidated(pattern, name); got != want {
			t.Fatalf("pattern %q on %q: got %v, doublestar %v", pattern, name, got, want)
		}
	})
}
