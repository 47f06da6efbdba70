package rules

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
)

func TestFuncs(t *testing.T) {
	ev := &Event{Event: "pull_request", Sender: "Octo-Cat", Branch: "feature/x",
		PullRequest: &PullRequest{Number: 3, Title: "  Ünïcode title  ", Labels: []string{"bug", "ui"}},
		raw:         &rawPayload{m: map[string]any{"n": int64(191568743), "f": 2.5, "list": []any{"a", int64(1), true}, "empty": "", "nil": nil}}}
	tests := map[string]struct {
		tmpl string
		want string
	}{
		"lower":                   {`{{ lower .Sender }}`, "octo-cat"},
		"upper":                   {`{{ .Sender | upper }}`, "OCTO-CAT"},
		"trim":                    {`[{{ trim .PullRequest.Title }}]`, "[Ünïcode title]"},
		"trunc counts runes":      {`{{ trim .PullRequest.Title | trunc 3 }}`, "Ünï"},
		"trunc longer than s":     {`{{ trunc 50 .Sender }}`, "Octo-Cat"},
		"trunc zero":              {`[{{ trunc 0 .Sender }}]`, "[]"},
		"default of empty":        {`{{ default "none" .Tag }}`, "none"},
		"default of a value":      {`{{ default "none" .Sender }}`, "Octo-Cat"},
		"default of JSON empty":   {`{{ default "-" .Payload.empty }}{{ default "-" .Payload.nil }}`, "--"},
		"join strings":            {`{{ join ", " .PullRequest.Labels }}`, "bug, ui"},
		"join JSON list":          {`{{ join "|" .Payload.list }}`, "a|1|true"},
		"json":                    {`{{ json .PullRequest.Labels }}`, `["bug","ui"]`},
		"json keeps <>&":          {`{{ json "<a&b>" }}`, `"<a&b>"`},
		"jsonstring":              {`{{ jsonstring "say \"hi\"\n" }}`, `say \"hi\"\n`},
		"quote":                   {`{{ quote .Branch }}`, `"feature/x"`},
		"replace":                 {`{{ replace "/" "-" .Branch }}`, "feature-x"},
		"contains":                {`{{ if contains "feat" .Branch }}yes{{ end }}`, "yes"},
		"hasPrefix":               {`{{ if hasPrefix "feature/" .Branch }}yes{{ end }}`, "yes"},
		"hasSuffix":               {`{{ if hasSuffix "/x" .Branch }}yes{{ end }}`, "yes"},
		"slackescape":             {`{{ slackescape "<!channel> & co" }}`, "&lt;!channel&gt; &amp; co"},
		"payload IDs print whole": {`{{ .Payload.n }} {{ .Payload.f }}`, "191568743 2.5"},
		"builtin printf":          {`{{ printf "%05d" .PullRequest.Number }}`, "00003"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tp, err := compileTemplate(tc.tmpl, escapeNone)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got, err := tp.render(ev)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSlackEscape(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"channel ping":  {"<!channel>", "&lt;!channel&gt;"},
		"user mention":  {"hi <@U024BE7LH>", "hi &lt;@U024BE7LH&gt;"},
		"ampersand":     {"a & b", "a &amp; b"},
		"already there": {"&amp;", "&amp;amp;"},
		"plain":         {"nothing to do", "nothing to do"},
		"empty":         {"", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := SlackEscape(tc.in); got != tc.want {
				t.Errorf("SlackEscape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// renderOne compiles a config with one rule (on pull_request) holding a,
// evaluates ev and returns the job or the error.
func renderOne(t *testing.T, a *config.Action, ev *Event) (actions.Job, error) {
	t.Helper()
	cfg := &config.Config{
		Jenkins: map[string]*config.JenkinsServer{"main": {URL: "https://jenkins.example.com/"}},
		Slack:   map[string]*config.SlackConnection{"main": {Token: "xoxb-test"}},
		Rules:   []*config.Rule{{Name: "r", On: []string{ev.Event}, Do: []*config.Action{a}}},
	}
	e, err := Compile(cfg)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	jobs, err := e.Evaluate(context.Background(), ev, nil)
	if err != nil {
		return actions.Job{}, err
	}
	if len(jobs) != 1 {
		t.Fatalf("got %d jobs, want 1", len(jobs))
	}
	return jobs[0], nil
}

func hostilePR(title string) *Event {
	ev := prEvent("opened", "main", "feature", false, "mallory", "bug")
	ev.PullRequest.Title = title
	ev.PullRequest.HTMLURL = "https://github.com/acme/app/pull/5"
	return ev
}

func TestSlackTextEscapesEventValues(t *testing.T) {
	tests := map[string]struct {
		text, title, want string
	}{
		"DESIGN's example with a pinging title": {
			text: "{{ .Sender }} opened {{ .PullRequest.Title }}", title: "<!channel> urgent",
			want: "someone opened &lt;!channel&gt; urgent",
		},
		"link syntax written in the template stays": {
			text: "<{{ .PullRequest.HTMLURL }}|#{{ .PullRequest.Number }}> {{ .PullRequest.Title }}", title: "a & <b>",
			want: "<https://github.com/acme/app/pull/5|#5> a &amp; &lt;b&gt;",
		},
		"explicit slackescape is not doubled": {
			text: "{{ .PullRequest.Title | slackescape }}", title: "<!here>",
			want: "&lt;!here&gt;",
		},
		"a variable is escaped where printed, once": {
			text: "{{ $t := .PullRequest.Title }}[{{ $t }}]", title: "<!everyone>",
			want: "[&lt;!everyone&gt;]",
		},
		"inside range and with": {
			text: "{{ with .PullRequest }}{{ range .Labels }}{{ . }};{{ end }}{{ .Title }}{{ end }}", title: "<x>",
			want: "bug;&lt;x&gt;",
		},
		"function results too": {
			text: "{{ upper .PullRequest.Title }}", title: "<!channel>",
			want: "&lt;!CHANNEL&gt;",
		},
		"defined templates too": {
			text: `{{ define "t" }}<{{ .Title }}>{{ end }}{{ template "t" .PullRequest }}`, title: "<!channel>",
			want: "<&lt;!channel&gt;>",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			job, err := renderOne(t, &config.Action{Slack: &config.SlackAction{Channel: "#ci", Text: tc.text}}, hostilePR(tc.title))
			if err != nil {
				t.Fatal(err)
			}
			if job.Slack.Text != tc.want {
				t.Errorf("text = %q, want %q", job.Slack.Text, tc.want)
			}
		})
	}
}

func TestSlackBlocksEscapeAndStayJSON(t *testing.T) {
	title := `<!channel> "quoted" \ back`
	blocks := `[{"type":"section","text":{"type":"mrkdwn","text":"*{{ .PullRequest.Title }}* by {{ .PullRequest.Author }}"}},` +
		`{"type":"context","elements":[{"type":"mrkdwn","text":{{ json .PullRequest.Title }}}]}]`
	job, err := renderOne(t, &config.Action{Slack: &config.SlackAction{Channel: "#ci", Text: "x", Blocks: blocks}}, hostilePR(title))
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Text     struct{ Text string } `json:"text"`
		Elements []struct{ Text string }
	}
	if err := json.Unmarshal([]byte(job.Slack.Blocks), &got); err != nil {
		t.Fatalf("blocks are not JSON: %v\n%s", err, job.Slack.Blocks)
	}
	wantText := `*&lt;!channel&gt; "quoted" \ back* by mallory`
	if got[0].Text.Text != wantText {
		t.Errorf("section text = %q, want %q", got[0].Text.Text, wantText)
	}
	if want := `&lt;!channel&gt; "quoted" \ back`; got[1].Elements[0].Text != want {
		t.Errorf("json-piped text = %q, want %q", got[1].Elements[0].Text, want)
	}
}

func TestSlackBlocksNotJSONAfterRendering(t *testing.T) {
	_, err := renderOne(t, &config.Action{Slack: &config.SlackAction{Channel: "#ci", Text: "x", Blocks: `[{"text": {{ .PullRequest.Title }}}]`}}, hostilePR("t"))
	var re *RenderError
	if !errors.As(err, &re) || re.Field != "slack.blocks" || !strings.Contains(re.Error(), "not valid JSON") {
		t.Fatalf("want a slack.blocks render error, got %v", err)
	}
}

func TestHTTPBodyEscaping(t *testing.T) {
	injection := `x", "admin": true, "y": "`
	tests := map[string]struct {
		body    string
		headers map[string]string
		check   func(t *testing.T, body string)
	}{
		"JSON body: a value cannot add fields": {
			body: `{"title": "{{ .PullRequest.Title }}", "n": {{ .PullRequest.Number }}}`,
			check: func(t *testing.T, body string) {
				var m map[string]any
				if err := json.Unmarshal([]byte(body), &m); err != nil {
					t.Fatalf("not JSON: %v: %s", err, body)
				}
				if len(m) != 2 || m["title"] != injection || m["n"] != 5.0 {
					t.Errorf("body = %s", body)
				}
			},
		},
		"JSON body: json output is taken as JSON": {
			body: `{"labels": {{ json .PullRequest.Labels }}, "t": {{ json .PullRequest.Title }}}`,
			check: func(t *testing.T, body string) {
				var m map[string]any
				if err := json.Unmarshal([]byte(body), &m); err != nil {
					t.Fatalf("not JSON: %v: %s", err, body)
				}
				if m["t"] != injection {
					t.Errorf("body = %s", body)
				}
			},
		},
		"plain text body is not escaped": {
			body: `{{ .PullRequest.Title }}`, headers: map[string]string{"Content-Type": "text/plain"},
			check: func(t *testing.T, body string) {
				if body != injection {
					t.Errorf("body = %q", body)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			body := tc.body
			job, err := renderOne(t, &config.Action{HTTP: &config.HTTPAction{URL: "https://x.example/", Body: &body, Headers: tc.headers, Secret: "s3cret"}}, hostilePR(injection))
			if err != nil {
				t.Fatal(err)
			}
			if !job.HTTP.Signed {
				t.Error("Signed = false with a secret configured")
			}
			raw, _ := json.Marshal(job)
			if strings.Contains(string(raw), "s3cret") {
				t.Errorf("the job holds the secret: %s", raw)
			}
			tc.check(t, *job.HTTP.Body)
		})
	}
}

func TestHTTPHeaderLineBreakRefused(t *testing.T) {
	_, err := renderOne(t, &config.Action{HTTP: &config.HTTPAction{URL: "https://x.example/", Headers: map[string]string{"X-Title": "{{ .PullRequest.Title }}"}}},
		hostilePR("a\r\nX-Admin: yes"))
	var re *RenderError
	if !errors.As(err, &re) || re.Field != "http.headers.X-Title" {
		t.Fatalf("want a render error on http.headers.X-Title, got %v", err)
	}
}

func TestJenkinsJobPathTraversalRefused(t *testing.T) {
	tests := map[string]struct {
		job, head string
		wantMsg   string // "" = renders
	}{
		"dot-dot from the event":    {"acme/{{ .PullRequest.Head }}/build", "..", `has a ".." segment`},
		"dot from the event":        {"acme/{{ .PullRequest.Head }}", ".", `has a "." segment`},
		"slashes make dot-dot":      {"acme/{{ .PullRequest.Head }}", "x/../../admin", `has a ".." segment`},
		"empty value":               {"acme/{{ .PullRequest.Head }}/build", "", "has an empty segment"},
		"trailing slash":            {"acme/{{ .PullRequest.Head }}", "x/", "has an empty segment"},
		"folders from the event":    {"acme/{{ .PullRequest.Head }}", "feature/x", ""},
		"dots inside a name are ok": {"acme/{{ .PullRequest.Head }}", "v1..2", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ev := prEvent("opened", "main", tc.head, false, "a")
			job, err := renderOne(t, &config.Action{Jenkins: &config.JenkinsAction{Job: tc.job}}, ev)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatal(err)
				}
				if want := strings.Replace(tc.job, "{{ .PullRequest.Head }}", tc.head, 1); job.Jenkins.Job != want {
					t.Errorf("job = %q, want %q", job.Jenkins.Job, want)
				}
				return
			}
			var re *RenderError
			if !errors.As(err, &re) {
				t.Fatalf("want a *RenderError, got %v", err)
			}
			if re.Rule != "r" || re.Index != 0 || re.Kind != "jenkins" || re.Field != "jenkins.job" || !strings.Contains(re.Error(), tc.wantMsg) {
				t.Errorf("error = %v, want rule r, action 0 (jenkins), jenkins.job, %q", re, tc.wantMsg)
			}
		})
	}
}

func TestCompileTemplateErrors(t *testing.T) {
	tests := map[string]struct {
		tmpl string
		want string
	}{
		"unknown function":            {`{{ shout .Sender }}`, `function "shout" not defined`},
		"unclosed action":             {`{{ .Sender`, `unclosed action`},
		"misspelt field":              {`{{ .PullRequest.Titel }}`, `1:15: .PullRequest.Titel: the pull request has no field Titel (it has Number, Title, HTMLURL, Base, Head, Draft, Labels, Author)`},
		"misspelt view field":         {`{{ .Payld.x }}`, `1:9: .Payld: the event view has no field Payld (it has Event, Source, Action, Delivery, Installation, Repository, Sender, SenderType, Ref, Branch, Tag, SHA, ShortSHA, PullRequest, Issue, Comment, Commits, Payload)`},
		"unknown top-level field":     {`hi {{ .Foo }}`, `.Foo: the event view has no field Foo`},
		"lower-case field":            {`{{ .sender }}`, `.sender: the event view has no field sender`},
		"field of a string":           {`{{ .Sender.Login }}`, `.Sender.Login: .Sender is a string; it has no field Login`},
		"inside range":                {`{{ range .Commits }}{{ .Mesage }}{{ end }}`, `.Mesage: the commit has no field Mesage`},
		"inside with":                 {`{{ with .Issue }}{{ .Nmber }}{{ end }}`, `.Nmber: the issue has no field Nmber`},
		"in a branch never taken":     {`{{ if false }}{{ .Repository.Fullname }}{{ end }}`, `.Repository.Fullname: the repository has no field Fullname`},
		"through $":                   {`{{ range .Commits }}{{ $.Sendr }}{{ end }}`, `$.Sendr: the event view has no field Sendr`},
		"as a function argument":      {`{{ join ", " .PullRequest.Label }}`, `.PullRequest.Label: the pull request has no field Label`},
		"unknown function in a block": {`{{ if .Tag }}{{ nope }}{{ end }}`, `function "nope" not defined`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := compileTemplate(tc.tmpl, escapeSlack)
			if err == nil {
				t.Fatal("compiled")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestCompileTemplateAccepts(t *testing.T) {
	for name, tmpl := range map[string]string{
		"payload keys are not checked": `{{ .Payload.anything.at.all }}`,
		"every documented field": `{{ .Event }}{{ .Action }}{{ .Delivery }}{{ .Installation }}{{ .Repository.FullName }}{{ .Repository.Owner }}` +
			`{{ .Repository.Name }}{{ .Repository.HTMLURL }}{{ .Repository.DefaultBranch }}{{ .Sender }}{{ .Ref }}{{ .Branch }}{{ .Tag }}` +
			`{{ .SHA }}{{ .ShortSHA }}{{ with .PullRequest }}{{ .Number }}{{ .Title }}{{ .HTMLURL }}{{ .Base }}{{ .Head }}{{ .Draft }}{{ .Labels }}{{ .Author }}{{ end }}` +
			`{{ with .Issue }}{{ .Number }}{{ .Title }}{{ .HTMLURL }}{{ .Labels }}{{ .Author }}{{ end }}{{ with .Comment }}{{ .Body }}{{ .Author }}{{ end }}` +
			`{{ range .Commits }}{{ .ID }}{{ .Message }}{{ .Author }}{{ .URL }}{{ .Added }}{{ .Removed }}{{ .Modified }}{{ end }}`,
		"variables are not tracked": `{{ $p := .PullRequest }}{{ $p.Whatever }}`,
		"no actions at all":         `just text`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := compileTemplate(tmpl, escapeNone); err != nil {
				t.Errorf("compile: %v", err)
			}
		})
	}
}

func TestMissingKeyIsAnError(t *testing.T) {
	tp, err := compileTemplate(`{{ .Payload.nope }}`, escapeNone)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.render(&Event{raw: &rawPayload{m: map[string]any{}}})
	if err == nil || !strings.Contains(err.Error(), `.Payload.nope: map has no entry for key "nope"`) {
		t.Errorf("err = %v", err)
	}
	tp, err = compileTemplate(`[{{ index .Payload "nope" }}]`, escapeNone)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tp.render(&Event{raw: &rawPayload{m: map[string]any{}}})
	if err != nil || got != "[<no value>]" {
		// index on a missing key gives the zero value, which text/template
		// prints as <no value>; default turns it into something readable.
		t.Errorf("index of a missing key: %q, %v", got, err)
	}
}
