package rules

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/switchboard-dev/switchboard/actions"
)

// Condition is one condition of a rule tested against an event: its name
// (on, repository, branches, tags, base, head, draft, labels, authors,
// expr, paths), whether it held, and a short detail with the event's value
// and what the rule wanted, such as "branch is feature/x; wanted main,
// release/*".
type Condition struct {
	Condition string `json:"condition"`
	OK        bool   `json:"ok"`
	Detail    string `json:"detail"`
}

// Explanation says whether one rule matched an event and why. Conditions
// are in the order they were tested; testing stops at the first that
// fails, which is then the last one.
type Explanation struct {
	Rule       string      `json:"name"`
	Matched    bool        `json:"matched"`
	Conditions []Condition `json:"conditions"`
}

// trace collects the conditions of one rule as they are tested.
type trace struct{ conds []Condition }

func (t *trace) add(cond string, ok bool, detail string) {
	t.conds = append(t.conds, Condition{Condition: cond, OK: ok, Detail: detail})
}

// Explain is Evaluate that also explains, for every rule listening to the
// event's name (in file order), whether it matched and why. The jobs and
// the error are Evaluate's. Explaining costs more than matching (a detail
// string per condition tested), so the processor asks for it once per
// delivery, to record it.
func (e *Engine) Explain(ctx context.Context, ev *Event, files FileLister) ([]actions.Job, []Explanation, error) {
	var ex []Explanation
	jobs, err := e.evaluate(ctx, ev, files, nil, &ex)
	return jobs, ex, err
}

// maxDetailItems bounds the values a detail lists (changed files, labels),
// so that an explanation stays short whatever the payload holds.
const maxDetailItems = 10

// maxDetailValue bounds one value shown in a detail.
const maxDetailValue = 200

// wanted lists a condition's patterns as written.
func wanted(pats []string) string {
	return "wanted " + strings.Join(pats, ", ")
}

// valueDetail is "<what> is <value>; wanted <patterns>", or
// "<none>; wanted <patterns>" when the event lacks the value.
func valueDetail(what, value, none string, pats []string) string {
	if value == "" {
		return none + "; " + wanted(pats)
	}
	return what + " is " + clip(value) + "; " + wanted(pats)
}

func branchDetail(f *facts, pats []string) string {
	switch {
	case f.ev.Event == "pull_request" && f.branch != "":
		return "base branch is " + clip(f.branch) + "; " + wanted(pats)
	case f.branch != "":
		return "branch is " + clip(f.branch) + "; " + wanted(pats)
	case f.ev.Event == "push" && f.tag != "":
		return "the push is of tag " + clip(f.tag) + ", not a branch; " + wanted(pats)
	}
	return "the event has no branch; " + wanted(pats)
}

func draftDetail(f *facts, want bool) string {
	w := "wanted draft: " + strconv.FormatBool(want)
	switch {
	case !f.pr:
		return "the event has no pull request; " + w
	case !f.draftKnown:
		return "the event does not say whether the pull request is a draft; " + w
	case f.draft:
		return "the pull request is a draft; " + w
	}
	return "the pull request is not a draft; " + w
}

func labelsDetail(f *facts, pats []string) string {
	if !f.hasLabels {
		return "the event has no pull request or issue; " + wanted(pats)
	}
	var labels []string
	switch {
	case f.ev.PullRequest != nil:
		labels = f.ev.PullRequest.Labels
	case f.ev.Issue != nil:
		labels = f.ev.Issue.Labels
	}
	if len(labels) == 0 {
		return "labels are none; " + wanted(pats)
	}
	return "labels are " + list(labels) + "; " + wanted(pats)
}

// pathsDetail explains paths: given the changed files.
func pathsDetail(files []string, known, complete bool, c *conditions) string {
	w := wanted(c.src.Paths)
	switch {
	case !known:
		return "changed files unknown (the pull request's files were not listed); " + w
	case !complete:
		return fmt.Sprintf("changed files may be incomplete (%d listed, at GitHub's cap), so paths hold; %s", len(files), w)
	case len(files) == 0:
		return "no files changed; " + w
	}
	for _, f := range files {
		if c.paths.match(f) {
			return "changed file " + clip(f) + " matches; " + w
		}
	}
	return "changed files are " + list(files) + "; " + w
}

func onDetail(r *rule, ev *Event) string {
	got := ev.Event
	if ev.Action != "" {
		got += "." + ev.Action
	}
	var b strings.Builder
	b.WriteString("event is " + clip(got) + "; wanted ")
	for i, o := range r.on {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(o.event)
		if o.action != "" {
			b.WriteString("." + o.action)
		}
	}
	return b.String()
}

// list joins values, at most maxDetailItems of them, saying how many more.
func list(vals []string) string {
	n := min(len(vals), maxDetailItems)
	out := make([]string, n)
	for i := range n {
		out[i] = clip(vals[i])
	}
	s := strings.Join(out, ", ")
	if len(vals) > n {
		s += fmt.Sprintf(" and %d more", len(vals)-n)
	}
	return s
}

// clip bounds one value shown in a detail and keeps it on one line.
func clip(s string) string {
	s = oneLine(s)
	if len(s) > maxDetailValue {
		cut := maxDetailValue
		for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// WriteExplanations writes explanations as text, a block per rule:
//
//	rule "build-main": matched
//	  ok    on: event is push; wanted push
//	  ok    branches: branch is main; wanted main, release/*
//	rule "pr-checks": not matched
//	  ok    on: event is pull_request.opened; wanted pull_request
//	  FAIL  base: base branch is develop; wanted main
func WriteExplanations(w io.Writer, ex []Explanation) error {
	var b strings.Builder
	for _, e := range ex {
		verdict := "not matched"
		if e.Matched {
			verdict = "matched"
		}
		fmt.Fprintf(&b, "rule %q: %s\n", e.Rule, verdict)
		for _, c := range e.Conditions {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(&b, "  %s  %s: %s\n", mark, c.Condition, c.Detail)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
