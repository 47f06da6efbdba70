package config

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

func (v *checker) rules() {
	first := map[string]int{}
	for i, r := range v.cfg.Rules {
		key := fmt.Sprintf("rules[%d]", i)
		name := strings.TrimSpace(r.Name)
		switch j, dup := first[name]; {
		case name == "":
			v.errorf(key+".name", "is required")
		case dup:
			v.errorf(key+".name", "duplicate rule name %q (first at line %d)", r.Name, v.cfg.Pos(fmt.Sprintf("rules[%d].name", j)).Line)
		default:
			first[name] = i
		}
		if strings.ContainsFunc(r.Name, isControl) {
			v.errorf(key+".name", "must not hold control characters")
		}
		if len(r.On) == 0 {
			v.errorf(key+".on", "is required: the events the rule listens to, such as [push] or [pull_request.opened]")
		}
		for j, on := range r.On {
			if msg := eventProblem(on, r.Name); msg != "" {
				v.errorf(v.cfg.ItemKey(key+".on", j), "%s", msg)
			}
		}
		if len(r.Do) == 0 {
			v.errorf(key+".do", "is required: the actions to run, at least one")
		}
		for j, a := range r.Do {
			v.action(v.cfg.ActionKey(i, j), a)
		}
	}
}

// eventProblem says what is wrong with one entry of on: of the rule named
// rule, or "".
func eventProblem(on, rule string) string {
	if SourceOf(on) != SourceGitHub {
		return sourceEventProblem(on)
	}
	event, action, hasAction := strings.Cut(on, ".")
	known, hasActions := KnownEvent(event)
	switch {
	case on == "":
		return "must not be empty"
	case !known:
		in := ""
		if rule != "" {
			in = fmt.Sprintf(" in rule %q", rule)
		}
		return fmt.Sprintf("unknown event %q%s%s; known events: %s", event, in, didYouMean(event, Events()), strings.Join(Events(), ", "))
	case !hasAction:
		return ""
	case !hasActions:
		return fmt.Sprintf("event %q has no actions; write %q", event, event)
	case !isActionName(action):
		return fmt.Sprintf("%q: after the dot comes an action of lowercase letters and _, such as %s.opened", on, event)
	}
	return ""
}

// isActionName reports whether s looks like a webhook action (opened,
// ready_for_review).
func isActionName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// action checks one do: item, placed at key rules[i].do[j].
func (v *checker) action(key string, a *Action) {
	var kinds []string
	set := map[string]bool{
		"jenkins": a.Jenkins != nil, "slack": a.Slack != nil, "comment": a.Comment != nil,
		"label": a.Label != nil, "status": a.Status != nil, "http": a.HTTP != nil, "log": a.Log != nil,
	}
	for _, k := range ActionKinds() {
		if set[k] {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		v.errorf(key, "no action kind; set one of: %s", strings.Join(ActionKinds(), ", "))
		return
	case 1:
	default:
		v.errorf(key, "one kind per action, got %s; write them as separate items", strings.Join(kinds, " and "))
		return
	}
	switch {
	case a.Jenkins != nil:
		v.jenkinsAction(key+".jenkins", a.Jenkins)
	case a.Slack != nil:
		v.slackAction(key+".slack", a.Slack)
	case a.Comment != nil:
		if strings.TrimSpace(*a.Comment) == "" {
			v.errorf(key+".comment", "must not be empty")
		}
	case a.Label != nil:
		v.labelAction(key+".label", a.Label)
	case a.Status != nil:
		v.statusAction(key+".status", a.Status)
	case a.HTTP != nil:
		v.httpAction(key+".http", a.HTTP)
	case a.Log != nil:
		if strings.TrimSpace(a.Log.Message) == "" {
			v.errorf(key+".log.message", "is required")
		}
	}
}

func (v *checker) jenkinsAction(key string, j *JenkinsAction) {
	if j.Job == "" {
		v.errorf(key+".job", "is required")
	} else if msg := jobPathProblem(j.Job); msg != "" {
		v.errorf(key+".job", "%s", msg)
	}
	v.named(key+".server", "jenkins server", j.Server, sortedNames(v.cfg.Jenkins))
}

func (v *checker) slackAction(key string, s *SlackAction) {
	if v.named(key+".connection", "slack connection", s.Connection, sortedNames(v.cfg.Slack)) {
		if conn := v.cfg.Slack[s.Connection]; conn.Token != "" && s.Channel == "" {
			v.errorf(key+".channel", `is required with a token connection (such as "#ci")`)
		}
	}
	if s.Text == "" && s.Blocks == "" {
		v.errorf(key+".text", "is required (or blocks)")
	}
}

// named checks that an action's reference to a jenkins server or slack
// connection names one that is configured. An empty name was left out and,
// after defaults, means there is not exactly one to take.
func (v *checker) named(key, what, name string, defined []string) bool {
	section, _, _ := strings.Cut(what, " ")
	switch {
	case name == "" && len(defined) == 0:
		v.errorf(key, "no %s is configured; add one under %s:", what, section)
	case name == "":
		v.errorf(key, "is required when several are configured; defined: %s", strings.Join(defined, ", "))
	case !contains(defined, name):
		if len(defined) == 0 {
			v.errorf(key, "%s %q is not defined; none is configured under %s:", what, name, section)
		} else {
			v.errorf(key, "%s %q is not defined; defined: %s", what, name, strings.Join(defined, ", "))
		}
	default:
		return true
	}
	return false
}

func (v *checker) labelAction(key string, l *LabelAction) {
	if len(l.Add) == 0 && len(l.Remove) == 0 {
		v.errorf(key, "needs add or remove (or both)")
	}
	for _, list := range []struct {
		name   string
		labels StringList
	}{{"add", l.Add}, {"remove", l.Remove}} {
		for i, s := range list.labels {
			if strings.TrimSpace(s) == "" {
				v.errorf(v.cfg.ItemKey(key+"."+list.name, i), "a label must not be empty")
			}
		}
	}
}

// StatusStates are the states of a GitHub commit status.
func statusStates() []string { return []string{"pending", "success", "failure", "error"} }

func (v *checker) statusAction(key string, s *StatusAction) {
	switch {
	case s.State == "":
		v.errorf(key+".state", "is required: one of %s", strings.Join(statusStates(), ", "))
	case !contains(statusStates(), s.State):
		v.errorf(key+".state", "must be one of %s, not %q", strings.Join(statusStates(), ", "), s.State)
	}
	if strings.TrimSpace(s.Context) == "" {
		v.errorf(key+".context", "is required")
	}
}

func (v *checker) httpAction(key string, h *HTTPAction) {
	globsOK := true
	for i, g := range h.AllowHosts {
		if _, err := path.Match(g, ""); err != nil || g == "" || strings.ContainsAny(g, "/{") {
			v.errorf(v.cfg.ItemKey(key+".allow_hosts", i), "%q is not a host glob such as *.example.com or hooks.example.com:8443", g)
			globsOK = false
		}
	}
	origin, _, templated := SplitURLTemplate(h.URL)
	switch {
	case h.URL == "":
		v.errorf(key+".url", "is required")
	case templated && strings.Contains(origin, "{{"):
		// A payload value must not choose where the request goes: a
		// branch named 169.254.169.254 would reach the cloud metadata
		// service.
		v.errorf(key+".url", "the host cannot come from a template")
	default:
		// A templated URL is checked for what is written out; the path
		// and query are checked when rendered.
		if msg := urlProblem(origin+"/", ""); msg != "" {
			v.errorf(key+".url", "%s", msg)
		} else if len(h.AllowHosts) > 0 && globsOK && !HostAllowed(h.AllowHosts, origin) {
			v.errorf(key+".url", "the host is not in allow_hosts (%s)", strings.Join(h.AllowHosts, ", "))
		}
	}
	if !isToken(h.Method) {
		v.errorf(key+".method", "%q is not an HTTP method", h.Method)
	}
	for _, name := range sortedNames(h.Headers) {
		if !isToken(name) {
			v.errorf(key+".headers."+name, "%q is not a header name", name)
		}
		if strings.EqualFold(name, "Host") && strings.Contains(h.Headers[name], "{{") {
			v.errorf(key+".headers."+name, "the host cannot come from a template")
		}
	}
}

// SplitURLTemplate cuts an http action's url into its origin (scheme,
// host and port: everything before the path, query or fragment) and the
// rest, and says whether the url holds a template. When the url has no
// "://", all of it is the origin.
func SplitURLTemplate(u string) (origin, rest string, templated bool) {
	templated = strings.Contains(u, "{{")
	i := strings.Index(u, "://")
	if i < 0 {
		return u, "", templated
	}
	end := strings.IndexAny(u[i+3:], "/?#")
	if end < 0 {
		return u, "", templated
	}
	return u[:i+3+end], u[i+3+end:], templated
}

// HostAllowed reports whether the host of the URL or origin u matches one
// of the globs: a glob with a port is matched against host:port, one
// without against the host name alone (any port). Names compare in lower
// case.
func HostAllowed(globs []string, u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	host, name := strings.ToLower(p.Host), strings.ToLower(p.Hostname())
	for _, g := range globs {
		g = strings.ToLower(g)
		target := host
		if strings.LastIndex(g, ":") <= strings.LastIndex(g, "]") {
			// No port: match the name; an IPv6 glob is written in brackets.
			target, g = name, strings.TrimSuffix(strings.TrimPrefix(g, "["), "]")
		}
		if ok, _ := path.Match(g, target); ok {
			return true
		}
	}
	return false
}

// jobPathProblem checks the folder segments of a Jenkins job path that are
// written out; segments holding a template are checked when rendered.
func jobPathProblem(job string) string {
	if strings.HasPrefix(job, "/") || strings.HasSuffix(job, "/") {
		return fmt.Sprintf("%q must not start or end with /: folders are written a/b/c", job)
	}
	if strings.Contains(job, "{{") {
		return ""
	}
	for _, seg := range strings.Split(job, "/") {
		switch seg {
		case "":
			return fmt.Sprintf("%q has an empty folder segment: folders are written a/b/c", job)
		case ".", "..":
			return fmt.Sprintf("%q: %q is not allowed as a folder segment", job, seg)
		}
	}
	return ""
}

// isToken reports whether s is an RFC 9110 token, the syntax of methods and
// header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
