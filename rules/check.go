package rules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules/samples"
)

// SampleEvents returns the events of the built-in sample payloads (package
// rules/samples), keyed by event name: push (a branch and a tag),
// pull_request, issues, issue_comment (on an issue and on a pull request),
// ping, installation and installation_repositories.
func SampleEvents() (map[string][]*Event, error) {
	out := make(map[string][]*Event)
	for _, p := range samples.Payloads() {
		ev, err := NewEvent(p.Event, "sample-"+strings.TrimSuffix(p.Name, ".json"), p.Payload)
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", p.Name, err)
		}
		out[p.Event] = append(out[p.Event], ev)
	}
	return out, nil
}

// Validate compiles cfg and checks it against the built-in samples: what
// `switchboard validate` and a configuration reload run before using a
// rule set. Problems come back as config.Errors.
func Validate(cfg *config.Config) (*Engine, error) {
	e, err := Compile(cfg)
	if err != nil {
		return nil, err
	}
	evs, err := SampleEvents()
	if err != nil {
		return nil, err
	}
	if errs := e.Check(evs); len(errs) > 0 {
		return nil, errs.Err()
	}
	return e, nil
}

// Check renders every action of every rule against the sample events of
// each event its rule listens to (samples[event]; an event with no sample
// gets an event view holding only its name and an empty payload), leaving
// out samples that lack what the rule's conditions ask about (a push, for a
// rule with base:), since the rule never renders for those. An action
// is reported when it fails on every sample of an event: a field those
// events never carry (.PullRequest.Title in a push rule: "push events have
// no pull request"), a comment on an event with no issue, a Jenkins path
// with an empty or ".." segment, blocks that are not JSON. Each error names
// the rule, the action and the field, and is placed at the templated key.
//
// Keys under .Payload are not checked: GitHub leaves optional keys out
// (organization, for one), so a sample lacking a key proves nothing. For a
// key that may be absent use index, which does not fail on a missing key:
// {{ with index .Payload "organization" }}{{ .login }}{{ end }}.
func (e *Engine) Check(samples map[string][]*Event) config.Errors {
	var errs config.Errors
	for _, r := range e.rules {
		for _, name := range r.events() {
			evs := samples[name]
			if len(evs) == 0 {
				evs = []*Event{(&Event{Event: name, Source: config.SourceOf(name)}).WithPayload(map[string]any{})}
			}
			evs = couldMatch(&r.cond, evs)
			for j, a := range r.actions {
				if rerr := checkAction(a, evs); rerr != nil {
					key := a.key
					if rerr.field != "" {
						key += "." + rerr.field
					}
					errs = append(errs, e.cfg.Errorf(key, "rule %s: action %d (%s): %s", r.name, j, a.kind, describe(rerr, name)))
				}
			}
		}
	}
	errs.Sort()
	return errs
}

// couldMatch keeps the events that carry everything the conditions ask
// about; the values are not compared, since a sample's are arbitrary. A rule
// on [push, pull_request] with base: main is never rendered for a push, so
// its .PullRequest.Title must not be reported for pushes.
func couldMatch(c *conditions, evs []*Event) []*Event {
	var out []*Event
	for _, ev := range evs {
		f := factsOf(ev)
		switch {
		case len(c.repository) > 0 && f.repo == "",
			len(c.branches) > 0 && f.branch == "",
			len(c.tags) > 0 && f.tag == "",
			len(c.base) > 0 && f.base == "",
			len(c.head) > 0 && f.head == "",
			c.draft != nil && (!f.pr || !f.draftKnown),
			c.hasLabels && !f.hasLabels,
			c.hasAuthors && f.author == "",
			len(c.paths) > 0 && ev.Event != "push" && ev.Event != "pull_request":
			continue
		}
		out = append(out, ev)
	}
	return out
}

// checkAction renders a against each event and returns the first failure
// when every event fails, or nil (also when there is no event).
func checkAction(a *action, evs []*Event) *fieldError {
	var first *fieldError
	for _, ev := range evs {
		_, err := a.render(ev, targetOf(ev))
		if err == nil || payloadOnly(err) {
			return nil
		}
		if first == nil {
			var fe *fieldError
			if !errors.As(err, &fe) {
				fe = &fieldError{err: err}
			}
			first = fe
		}
	}
	return first
}

// payloadOnly reports whether a render failed on a key or value of the raw
// payload, which samples cannot prove absent.
func payloadOnly(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "map has no entry for key") || strings.Contains(msg, "nil pointer evaluating interface {}")
}

// describe words a render failure for validate: a nil part of the event view
// becomes "<event> events have no <part>".
func describe(fe *fieldError, event string) string {
	msg := fe.err.Error()
	const nilPtr = "nil pointer evaluating *rules."
	if i := strings.Index(msg, nilPtr); i >= 0 {
		part, _, _ := strings.Cut(msg[i+len(nilPtr):], ".")
		noun := map[string]string{"PullRequest": "pull request", "Issue": "issue", "Comment": "comment"}[part]
		if noun == "" {
			noun = strings.ToLower(part)
		}
		field := strings.TrimSuffix(msg[:i], ": ")
		// Drop the template position ("1:15: "): the key already places it.
		if _, rest, ok := strings.Cut(field, ": "); ok && isPosition(field[:len(field)-len(rest)-2]) {
			field = rest
		}
		return fmt.Sprintf("%s: %s events have no %s", field, event, noun)
	}
	return msg
}

func isPosition(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != ':' {
			return false
		}
	}
	return true
}
