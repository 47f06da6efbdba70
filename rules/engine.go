package rules

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
)

// FileLister lists the files a pull request changes. The GitHub client
// implements it (paged, and cached per delivery); rules calls it at most once
// per Evaluate, and only when a rule that has passed all its other
// conditions has paths:. GitHub lists at most 3,000 files: complete is false
// when the list stopped there, and paths: then matches.
type FileLister interface {
	PullRequestFiles(ctx context.Context, installation int64, owner, repo string, number int) (files []string, complete bool, err error)
}

// Engine is a compiled rule set. It is immutable, and safe for concurrent
// use by any number of goroutines.
type Engine struct {
	cfg     *config.Config // for placing Check's errors; only read
	rules   []*rule
	byEvent map[string][]*rule // rules listening to each event name, in file order
}

type rule struct {
	name    string
	key     string // rules[i]
	on      []onEntry
	cond    conditions
	actions []*action
}

// onEntry is one entry of on:; action "" matches every action.
type onEntry struct {
	event, action string
}

func (r *rule) listens(ev *Event) bool {
	for _, o := range r.on {
		if o.event == ev.Event && (o.action == "" || o.action == ev.Action) {
			return true
		}
	}
	return false
}

// events returns the distinct event names of on:, in order.
func (r *rule) events() []string {
	var out []string
	for _, o := range r.on {
		dup := false
		for _, e := range out {
			dup = dup || e == o.event
		}
		if !dup {
			out = append(out, o.event)
		}
	}
	return out
}

// Compile checks and compiles the rules of cfg: globs (validated once;
// "!" only in labels and authors), expressions (compiled and type-checked
// against the variable payload, and required to yield a boolean), and
// templates (parsed once with missingkey=error; unknown functions and
// fields the event view does not have are errors). It returns config.Errors
// placed at the offending key, such as rules[2].if.branches[1] or
// rules[0].do[1].slack.text. Event names under on: are validated by the
// config package; Compile only splits them.
//
// Escaping: every value a template interpolates into Slack text is passed
// through slackescape, and into Slack blocks through slackescape and then
// jsonstring (write each {{ }} of blocks inside a JSON string), so that an
// untrusted title such as <!channel> cannot ping a channel or break the JSON.
// An http body that is JSON (it starts with { or [, and its Content-Type,
// if set, mentions json) has every value passed through jsonstring. Text
// written in the template itself is never escaped. A pipeline that already
// ends in the same escaper is not escaped twice; one ending in json is taken
// as JSON already.
func Compile(cfg *config.Config) (*Engine, error) {
	e := &Engine{cfg: cfg, byEvent: make(map[string][]*rule)}
	var errs config.Errors
	for i, rc := range cfg.Rules {
		key := fmt.Sprintf("rules[%d]", i)
		if rc == nil {
			errs = append(errs, cfg.Errorf(key, "empty rule"))
			continue
		}
		r := &rule{name: rc.Name, key: key}
		for j, on := range rc.On {
			ev, act := config.SplitOn(on)
			if ev == "" {
				errs = append(errs, cfg.Errorf(fmt.Sprintf("%s.on[%d]", key, j), "empty event name"))
				continue
			}
			r.on = append(r.on, onEntry{event: ev, action: act})
		}
		cond, cerrs := compileConditions(cfg, key+".if", &rc.If)
		for _, ce := range cerrs {
			ce.Msg = fmt.Sprintf("rule %s: %s", rc.Name, ce.Msg)
		}
		errs = append(errs, cerrs...)
		r.cond = cond
		for j, ac := range rc.Do {
			a, aerrs := compileAction(cfg, fmt.Sprintf("%s.do[%d]", key, j), ac)
			for _, ae := range aerrs {
				if kind, n := actionKind(ac); n == 1 {
					ae.Msg = fmt.Sprintf("rule %s: action %d (%s): %s", rc.Name, j, kind, ae.Msg)
				} else {
					ae.Msg = fmt.Sprintf("rule %s: action %d: %s", rc.Name, j, ae.Msg)
				}
			}
			errs = append(errs, aerrs...)
			r.actions = append(r.actions, a)
		}
		e.rules = append(e.rules, r)
		for _, ev := range r.events() {
			e.byEvent[ev] = append(e.byEvent[ev], r)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return e, nil
}

// RenderError is one action of a matching rule that could not be rendered.
// It is permanent for that delivery: rendering the same event again fails
// the same way.
type RenderError struct {
	Rule  string
	Index int    // the action's position in the rule's do:
	Kind  string // jenkins, slack, ...
	Field string // the templated field, such as slack.text; empty when the action as a whole cannot apply
	Err   error
}

// Error names the rule, the action and the field.
func (e *RenderError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("rule %s: action %d (%s): %v", e.Rule, e.Index, e.Kind, e.Err)
	}
	return fmt.Sprintf("rule %s: action %d (%s): %s: %v", e.Rule, e.Index, e.Kind, e.Field, e.Err)
}

// Unwrap returns the underlying error.
func (e *RenderError) Unwrap() error { return e.Err }

// ConditionError is a rule's expr: that failed at run time, such as reading
// a key the payload lacks. The rule did not match.
type ConditionError struct {
	Rule string
	Err  error
}

// Error names the rule.
func (e *ConditionError) Error() string {
	return fmt.Sprintf("rule %s: expr: %s", e.Rule, oneLine(e.Err.Error()))
}

// Unwrap returns the underlying error.
func (e *ConditionError) Unwrap() error { return e.Err }

// FileListError is a failure of the FileLister. Evaluate then returns no
// jobs: the caller should retry the whole delivery later rather than run
// part of it.
type FileListError struct {
	Err error
}

// Error says what failed.
func (e *FileListError) Error() string { return "listing pull request files: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FileListError) Unwrap() error { return e.Err }

// Evaluate matches ev against the rules in order and renders every action of
// every matching rule into a job, in rule order then action order. Jobs carry
// the delivery, event, rule name, action index and kind, and the target
// (installation, owner, repo, issue or pull request number, SHA).
//
// An action that fails to render is left out and reported as a *RenderError;
// an expression that fails at run time is reported as a *ConditionError.
// Either way the other rules and actions still yield their jobs: the jobs
// come back together with errors.Join of those errors. A FileLister failure
// is different: it returns no jobs and a *FileListError.
//
// files may be nil: paths: on a pull request is then unknown and does not match.
func (e *Engine) Evaluate(ctx context.Context, ev *Event, files FileLister) ([]actions.Job, error) {
	return e.evaluate(ctx, ev, files, nil, nil)
}

// evaluate is Evaluate, telling unknownPaths (when set) of every rule that
// did not match only because the changed files were unknown, and appending
// to ex (when set) the explanation of every rule listening to the event's
// name.
func (e *Engine) evaluate(ctx context.Context, ev *Event, files FileLister, unknownPaths func(rule string), ex *[]Explanation) ([]actions.Job, error) {
	var (
		jobs []actions.Job
		errs []error
		env  map[string]any
		fc   = fileCache{lister: files}
	)
	target := targetOf(ev)
	var f *facts
	for _, r := range e.byEvent[ev.Event] {
		var tr *trace
		if ex != nil {
			tr = &trace{}
		}
		if !r.listens(ev) {
			if tr != nil {
				tr.add("on", false, onDetail(r, ev))
				*ex = append(*ex, Explanation{Rule: r.name, Conditions: tr.conds})
			}
			continue
		}
		if tr != nil {
			tr.add("on", true, onDetail(r, ev))
		}
		if f == nil {
			f = factsOf(ev)
		}
		if r.cond.expr != nil && env == nil {
			env = map[string]any{"payload": ev.Payload()}
		}
		ok, exprErr := r.cond.check(f, env, tr)
		if tr != nil && (exprErr != nil || !ok) {
			*ex = append(*ex, Explanation{Rule: r.name, Conditions: tr.conds})
		}
		if exprErr != nil {
			errs = append(errs, &ConditionError{Rule: r.name, Err: exprErr})
			continue
		}
		if !ok {
			continue
		}
		if r.cond.filesNeeded() {
			list, complete, known, err := fc.get(ctx, ev)
			if err != nil {
				return nil, &FileListError{Err: err}
			}
			if !known && unknownPaths != nil {
				unknownPaths(r.name)
			}
			ok := known && r.cond.matchPaths(list, complete)
			if tr != nil {
				tr.add("paths", ok, pathsDetail(list, known, complete, &r.cond))
			}
			if !ok {
				if tr != nil {
					*ex = append(*ex, Explanation{Rule: r.name, Conditions: tr.conds})
				}
				continue
			}
		}
		if tr != nil {
			*ex = append(*ex, Explanation{Rule: r.name, Matched: true, Conditions: tr.conds})
		}
		for j, a := range r.actions {
			job, err := a.render(ev, target)
			if err != nil {
				re := &RenderError{Rule: r.name, Index: j, Kind: a.kind, Err: err}
				var fe *fieldError
				if errors.As(err, &fe) {
					re.Field, re.Err = fe.field, fe.err
				}
				errs = append(errs, re)
				continue
			}
			job.Delivery, job.Event, job.Rule, job.Index = ev.Delivery, ev.Event, r.name, j
			jobs = append(jobs, job)
		}
	}
	return jobs, errors.Join(errs...)
}

// targetOf is what GitHub actions act on.
func targetOf(ev *Event) actions.Target {
	t := actions.Target{
		Installation: ev.Installation,
		Owner:        ev.Repository.Owner,
		Repo:         ev.Repository.Name,
		SHA:          ev.SHA,
	}
	switch {
	case ev.PullRequest != nil:
		t.Number = ev.PullRequest.Number
	case ev.Issue != nil:
		t.Number = ev.Issue.Number
	}
	return t
}

// fileCache asks for the changed files once per Evaluate.
type fileCache struct {
	lister   FileLister
	done     bool
	files    []string
	complete bool
	known    bool
	err      error
}

// get returns the changed files of ev, whether the list can be complete,
// and whether they are known at all (a pull request with no lister is not).
func (c *fileCache) get(ctx context.Context, ev *Event) (files []string, complete, known bool, err error) {
	if !c.done {
		c.done = true
		switch {
		case ev.Event == "push":
			c.files, c.complete = pushFiles(ev)
			c.known = true
		case ev.Event == "pull_request" && ev.PullRequest != nil && c.lister != nil:
			c.files, c.complete, c.err = c.lister.PullRequestFiles(ctx, ev.Installation, ev.Repository.Owner, ev.Repository.Name, ev.PullRequest.Number)
			c.known = c.err == nil
		}
	}
	return c.files, c.complete, c.known, c.err
}
