package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
)

// action is one do: entry, compiled: every templated field parsed once.
type action struct {
	kind string
	key  string // rules[i].do[j]

	// jenkins
	server     string
	job        *tmpl
	params     []namedTmpl
	report     bool
	check      bool // report: check
	context    *tmpl
	connection string
	// slack
	channel *tmpl
	text    *tmpl
	blocks  *tmpl
	// comment
	body *tmpl
	// label
	add, remove []namedTmpl // name: the field, such as label.add[0]
	// status
	state, description, targetURL *tmpl
	// http
	url        *urlTmpl
	allowHosts []string
	method     string
	jsonBody   bool
	headers    []namedTmpl
	signed     bool
	// log
	message *tmpl
}

type namedTmpl struct {
	name string
	t    *tmpl
}

// actionKind returns the kind set in a and how many are set.
func actionKind(a *config.Action) (kind string, n int) {
	if a == nil {
		return "", 0
	}
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"jenkins", a.Jenkins != nil}, {"slack", a.Slack != nil}, {"comment", a.Comment != nil},
		{"label", a.Label != nil}, {"status", a.Status != nil}, {"http", a.HTTP != nil}, {"log", a.Log != nil},
	} {
		if k.set {
			if kind == "" {
				kind = k.name
			}
			n++
		}
	}
	return kind, n
}

// compileAction parses the templates of one action. Errors are placed at the
// templated key, such as rules[0].do[1].slack.text.
func compileAction(cfg *config.Config, key string, a *config.Action) (*action, config.Errors) {
	if a == nil {
		return nil, config.Errors{cfg.Errorf(key, "empty action: want one of jenkins, slack, comment, label, status, http, log")}
	}
	kind, n := actionKind(a)
	switch {
	case n == 0:
		return nil, config.Errors{cfg.Errorf(key, "no action kind: want one of jenkins, slack, comment, label, status, http, log")}
	case n > 1:
		return nil, config.Errors{cfg.Errorf(key, "an action has exactly one kind; this one has %d", n)}
	}
	out := &action{kind: kind, key: key}
	var errs config.Errors
	compile := func(field, text string, mode escapeMode) *tmpl {
		t, err := compileTemplate(text, mode)
		if err != nil {
			errs = append(errs, cfg.Errorf(key+"."+field, "template: %v", err))
			return nil
		}
		return t
	}
	switch kind {
	case "jenkins":
		j := a.Jenkins
		out.server = j.Server
		if out.server == "" && len(cfg.Jenkins) == 1 {
			for name := range cfg.Jenkins {
				out.server = name
			}
		}
		out.job = compile("jenkins.job", j.Job, escapeNone)
		if out.job != nil && out.job.t == nil {
			if msg := checkJobPath(j.Job); msg != "" {
				errs = append(errs, cfg.Errorf(key+".jenkins.job", "%s", msg))
			}
		}
		for _, name := range sortedKeys(j.Parameters) {
			out.params = append(out.params, namedTmpl{name, compile("jenkins.parameters."+name, j.Parameters[name], escapeNone)})
		}
		out.report = j.Report != config.ReportNone
		out.check = j.Report == config.ReportCheck
		if j.Context != "" {
			out.context = compile("jenkins.context", j.Context, escapeNone)
		}
	case "slack":
		s := a.Slack
		out.connection = s.Connection
		if out.connection == "" && len(cfg.Slack) == 1 {
			for name := range cfg.Slack {
				out.connection = name
			}
		}
		out.channel = compile("slack.channel", s.Channel, escapeNone)
		out.text = compile("slack.text", s.Text, escapeSlack)
		if s.Blocks != "" {
			out.blocks = compile("slack.blocks", s.Blocks, escapeSlackJSON)
		}
	case "comment":
		out.body = compile("comment", *a.Comment, escapeNone)
	case "label":
		for i, l := range a.Label.Add {
			f := itemField(cfg, key, "label.add", i)
			out.add = append(out.add, namedTmpl{f, compile(f, l, escapeNone)})
		}
		for i, l := range a.Label.Remove {
			f := itemField(cfg, key, "label.remove", i)
			out.remove = append(out.remove, namedTmpl{f, compile(f, l, escapeNone)})
		}
	case "status":
		s := a.Status
		out.context = compile("status.context", s.Context, escapeNone)
		out.state = compile("status.state", s.State, escapeNone)
		out.description = compile("status.description", s.Description, escapeNone)
		out.targetURL = compile("status.target_url", s.TargetURL, escapeNone)
	case "http":
		h := a.HTTP
		u, err := compileURL(h.URL)
		switch {
		case errors.Is(err, errURLHostTemplated):
			errs = append(errs, cfg.Errorf(key+".http.url", "%v", err))
		case err != nil:
			errs = append(errs, cfg.Errorf(key+".http.url", "template: %v", err))
		}
		out.url = u
		out.allowHosts = h.AllowHosts
		out.method = strings.ToUpper(h.Method)
		if out.method == "" {
			out.method = "POST"
		}
		if h.Body != nil {
			out.jsonBody = isJSONBody(*h.Body, h.Headers)
			mode := escapeNone
			if out.jsonBody {
				mode = escapeJSON
			}
			out.body = compile("http.body", *h.Body, mode)
		}
		for _, name := range sortedKeys(h.Headers) {
			out.headers = append(out.headers, namedTmpl{name, compile("http.headers."+name, h.Headers[name], escapeNone)})
		}
		out.signed = h.Secret != ""
	case "log":
		out.message = compile("log.message", a.Log.Message, escapeNone)
	}
	return out, errs
}

// isJSONBody reports whether an http body is JSON: no Content-Type, or a JSON
// one, and the template starts with { or [. Such a body has every value
// escaped for a JSON string, so a title with a quote cannot add fields.
func isJSONBody(body string, headers map[string]string) bool {
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Type") && !strings.Contains(strings.ToLower(v), "json") {
			return false
		}
	}
	b := strings.TrimSpace(body)
	return strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[")
}

// fieldError is a render failure of one templated field of an action.
type fieldError struct {
	field string // such as "slack.text"
	err   error
}

func (e *fieldError) Error() string {
	if e.field == "" {
		return e.err.Error()
	}
	return e.field + ": " + e.err.Error()
}
func (e *fieldError) Unwrap() error { return e.err }

// render builds the job for ev. Target and the rule's name are filled by
// the caller.
func (a *action) render(ev *Event, target actions.Target) (actions.Job, error) {
	job := actions.Job{Kind: a.kind, Target: target}
	var firstErr error
	get := func(field string, t *tmpl) string {
		if firstErr != nil {
			return ""
		}
		s, err := t.render(ev)
		if err != nil {
			firstErr = &fieldError{field, err}
		}
		return s
	}
	fail := func(field, format string, args ...any) {
		if firstErr == nil {
			firstErr = &fieldError{field, fmt.Errorf(format, args...)}
		}
	}
	switch a.kind {
	case "jenkins":
		j := &actions.JenkinsJob{Server: a.server, Report: a.report, Check: a.check}
		j.Job = get("jenkins.job", a.job)
		if firstErr == nil {
			if msg := checkJobPath(j.Job); msg != "" {
				fail("jenkins.job", "%s", msg)
			}
		}
		if len(a.params) > 0 {
			j.Parameters = make(map[string]string, len(a.params))
			for _, p := range a.params {
				j.Parameters[p.name] = get("jenkins.parameters."+p.name, p.t)
			}
		}
		if a.context != nil {
			j.Context = get("jenkins.context", a.context)
		} else if a.report {
			j.Context = "jenkins/" + j.Job
		}
		job.Jenkins = j
	case "slack":
		s := &actions.SlackJob{Connection: a.connection}
		s.Channel = get("slack.channel", a.channel)
		s.Text = get("slack.text", a.text)
		if a.blocks != nil {
			s.Blocks = get("slack.blocks", a.blocks)
			if firstErr == nil && !json.Valid([]byte(s.Blocks)) {
				fail("slack.blocks", "not valid JSON after rendering (write each {{ }} inside a JSON string)")
			}
			if firstErr == nil {
				if err := actions.ValidateBlocks(s.Blocks); err != nil {
					fail("slack.blocks", "%s", strings.TrimPrefix(err.Error(), "slack: "))
				}
			}
		}
		job.Slack = s
	case "comment":
		if target.Number == 0 {
			fail("", "%s events have no issue or pull request to comment on", ev.Event)
		}
		job.Comment = &actions.CommentJob{Body: get("comment", a.body)}
	case "label":
		if target.Number == 0 {
			fail("", "%s events have no issue or pull request to label", ev.Event)
		}
		l := &actions.LabelJob{}
		for _, t := range a.add {
			if s := strings.TrimSpace(get(t.name, t.t)); s != "" {
				l.Add = append(l.Add, s)
			}
		}
		for _, t := range a.remove {
			s := strings.TrimSpace(get(t.name, t.t))
			if s == "" {
				continue
			}
			if err := actions.CheckLabelName(s); err != nil {
				fail(t.name, "%v", err)
			}
			l.Remove = append(l.Remove, s)
		}
		job.Label = l
	case "status":
		switch {
		case target.SHA == "":
			fail("", "%s events have no commit SHA to set a status on", ev.Event)
		case strings.Trim(target.SHA, "0") == "":
			fail("", "the event's SHA is all zeros (a deleted ref): no commit to set a status on")
		}
		s := &actions.StatusJob{}
		s.Context = get("status.context", a.context)
		s.State = get("status.state", a.state)
		s.Description = get("status.description", a.description)
		s.TargetURL = get("status.target_url", a.targetURL)
		if firstErr == nil {
			switch s.State {
			case "pending", "success", "failure", "error":
			default:
				fail("status.state", "state %q: want pending, success, failure or error", s.State)
			}
		}
		job.Status = s
	case "http":
		h := &actions.HTTPJob{Method: a.method, Signed: a.signed, AllowHosts: a.allowHosts}
		if u, err := a.url.render(ev); err != nil {
			fail("http.url", "%v", err)
		} else {
			h.URL = u
		}
		if a.body != nil {
			b := get("http.body", a.body)
			if firstErr == nil && a.jsonBody && !json.Valid([]byte(b)) {
				fail("http.body", "not valid JSON after rendering (write each {{ }} inside a JSON string, or use json)")
			}
			h.Body = &b
		}
		if len(a.headers) > 0 {
			h.Headers = make(map[string]string, len(a.headers))
			for _, hd := range a.headers {
				v := get("http.headers."+hd.name, hd.t)
				if strings.ContainsAny(v, "\r\n") {
					fail("http.headers."+hd.name, "rendered value has a line break")
				}
				h.Headers[hd.name] = v
			}
		}
		job.HTTP = h
	case "log":
		job.Log = &actions.LogJob{Message: get("log.message", a.message)}
	}
	return job, firstErr
}

// checkJobPath refuses a Jenkins job path with an empty, "." or ".."
// segment: each segment becomes /job/<segment> in a URL.
func checkJobPath(p string) string {
	if p == "" {
		return "job path is empty"
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return fmt.Sprintf("job path %q has an empty segment", p)
		case ".", "..":
			return fmt.Sprintf("job path %q has a %q segment", p, seg)
		}
	}
	return ""
}

// itemField is the field name, relative to the action key, of the i-th item
// of a string-or-list field.
func itemField(cfg *config.Config, actionKey, field string, i int) string {
	return strings.TrimPrefix(cfg.ItemKey(actionKey+"."+field, i), actionKey+".")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// oneLine folds a multi-line message (expr's errors draw a caret under the
// source) into one line for file:line:col output.
func oneLine(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "| ") && t != "|" {
			out = append(out, t)
		}
	}
	return strings.Join(out, " ")
}
