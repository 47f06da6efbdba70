package rules

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/switchboard-dev/switchboard/config"
)

// maxPushCommits is GitHub's limit on a push payload's commits; a push with
// this many may list only some of its files, and paths: then fails open (see
// the package documentation). A pull request's FileLister says itself when
// its list stopped at GitHub's cap of 3,000 files.
const maxPushCommits = 2048

// conditions is a rule's if:, compiled.
type conditions struct {
	repository globs
	branches   globs
	tags       globs
	base       globs
	head       globs
	paths      globs
	labels     globs // each must match some label
	notLabels  globs // none may match any label
	authors    globs // when given, one must match the author
	notAuthors globs // none may match the author
	hasLabels  bool
	hasAuthors bool
	draft      *bool
	expr       *vm.Program
	src        config.Conditions // as written, for explanations
}

// exprEnv is the type environment expressions are checked against: one
// variable, payload, the raw JSON object.
func exprEnv() map[string]any { return map[string]any{"payload": map[string]any{}} }

func compileConditions(cfg *config.Config, key string, c *config.Conditions) (conditions, config.Errors) {
	var (
		out       conditions
		errs      config.Errors
		plainKind = globKind{}
		repoKind  = globKind{fold: true}
		labelKind = globKind{negation: true, fold: true}
		// Logins are case-insensitive on GitHub, and App bots are named
		// like dependabot[bot].
		authorKind = globKind{negation: true, fold: true, botLogin: true}
	)
	list := func(name string, pats []string, kind globKind) (pos, neg globs) {
		for i, p := range pats {
			g, negated, msg := parseGlob(p, kind)
			if msg != "" {
				errs = append(errs, cfg.Errorf(cfg.ItemKey(key+"."+name, i), "%s", msg))
				continue
			}
			if negated {
				neg = append(neg, g)
			} else {
				pos = append(pos, g)
			}
		}
		return pos, neg
	}
	out.repository, _ = list("repository", c.Repository, repoKind)
	out.branches, _ = list("branches", c.Branches, plainKind)
	out.tags, _ = list("tags", c.Tags, plainKind)
	out.base, _ = list("base", c.Base, plainKind)
	out.head, _ = list("head", c.Head, plainKind)
	out.paths, _ = list("paths", c.Paths, plainKind)
	out.labels, out.notLabels = list("labels", c.Labels, labelKind)
	out.hasLabels = len(c.Labels) > 0
	out.authors, out.notAuthors = list("authors", c.Authors, authorKind)
	out.hasAuthors = len(c.Authors) > 0
	out.draft = c.Draft
	out.src = *c
	if c.Expr != "" {
		prog, err := expr.Compile(c.Expr, expr.Env(exprEnv()), expr.AsBool())
		if err != nil {
			errs = append(errs, cfg.Errorf(key+".expr", "expression does not compile: %s", oneLine(err.Error())))
		} else {
			out.expr = prog
		}
	}
	return out, errs
}

// filesNeeded reports whether matching needs the changed files.
func (c *conditions) filesNeeded() bool { return len(c.paths) > 0 }

// facts are the values of an event that conditions test, worked out once
// per Evaluate instead of once per rule; the case-insensitive ones are
// lower-cased here.
type facts struct {
	ev         *Event // for explanations, which show values as the event has them
	repo       string // owner/name, lower-cased; "" when the event has none
	branch     string // what branches: tests; "" when the event has none
	tag        string
	base, head string
	pr         bool
	draft      bool
	draftKnown bool
	labels     []string // lower-cased
	hasLabels  bool     // the event has a pull request or an issue
	author     string   // lower-cased; see author
}

func factsOf(ev *Event) *facts {
	f := &facts{ev: ev, repo: strings.ToLower(ev.Repository.FullName), author: strings.ToLower(author(ev))}
	switch ev.Event {
	case "push":
		f.branch, f.tag = ev.Branch, ev.Tag
	case "pull_request":
		if ev.PullRequest != nil {
			f.branch = ev.PullRequest.Base
		}
	}
	var labels []string
	switch {
	case ev.PullRequest != nil:
		labels, f.hasLabels = ev.PullRequest.Labels, true
	case ev.Issue != nil:
		labels, f.hasLabels = ev.Issue.Labels, true
	}
	for _, l := range labels {
		f.labels = append(f.labels, strings.ToLower(l))
	}
	if pr := ev.PullRequest; pr != nil {
		f.pr = true
		f.base, f.head = pr.Base, pr.Head
		f.draft, f.draftKnown = pr.Draft, !pr.draftUnknown
	}
	return f
}

// check tests every condition but paths; exprErr is set when the
// expression failed at run time (which is no match). It tells tr (when not
// nil) of each condition it tests, in order, up to the first that fails. The detail strings are built only
// when tr is set, so matching without an explanation costs a nil check per
// condition.
func (c *conditions) check(f *facts, env map[string]any, tr *trace) (ok bool, exprErr error) {
	if len(c.repository) > 0 {
		ok := f.repo != "" && c.repository.match(f.repo)
		if tr != nil {
			tr.add("repository", ok, valueDetail("repository", f.ev.Repository.FullName, "the event has no repository", c.src.Repository))
		}
		if !ok {
			return false, nil
		}
	}
	if len(c.branches) > 0 {
		ok := f.branch != "" && c.branches.match(f.branch)
		if tr != nil {
			tr.add("branches", ok, branchDetail(f, c.src.Branches))
		}
		if !ok {
			return false, nil
		}
	}
	if len(c.tags) > 0 {
		ok := f.tag != "" && c.tags.match(f.tag)
		if tr != nil {
			none := "the event is not a tag push"
			if f.branch != "" && f.ev.Event == "push" {
				none = "the push is of branch " + f.branch + ", not a tag"
			}
			tr.add("tags", ok, valueDetail("tag", f.tag, none, c.src.Tags))
		}
		if !ok {
			return false, nil
		}
	}
	if len(c.base) > 0 {
		ok := f.base != "" && c.base.match(f.base)
		if tr != nil {
			tr.add("base", ok, valueDetail("base branch", f.base, "the event has no pull request", c.src.Base))
		}
		if !ok {
			return false, nil
		}
	}
	if len(c.head) > 0 {
		ok := f.head != "" && c.head.match(f.head)
		if tr != nil {
			tr.add("head", ok, valueDetail("head branch", f.head, "the event has no pull request", c.src.Head))
		}
		if !ok {
			return false, nil
		}
	}
	if c.draft != nil {
		ok := f.pr && f.draftKnown && f.draft == *c.draft
		if tr != nil {
			tr.add("draft", ok, draftDetail(f, *c.draft))
		}
		if !ok {
			return false, nil
		}
	}
	if c.hasLabels {
		ok := c.matchLabels(f)
		if tr != nil {
			tr.add("labels", ok, labelsDetail(f, c.src.Labels))
		}
		if !ok {
			return false, nil
		}
	}
	if c.hasAuthors {
		ok := !(f.author == "" || c.notAuthors.match(f.author) || len(c.authors) > 0 && !c.authors.match(f.author))
		if tr != nil {
			tr.add("authors", ok, valueDetail("author", author(f.ev), "the event has no author", c.src.Authors))
		}
		if !ok {
			return false, nil
		}
	}
	if c.expr != nil {
		out, err := expr.Run(c.expr, env)
		if err != nil {
			if tr != nil {
				tr.add("expr", false, c.src.Expr+" failed: "+oneLine(err.Error()))
			}
			return false, err
		}
		b, _ := out.(bool)
		if tr != nil {
			tr.add("expr", b, fmt.Sprintf("%s is %t", c.src.Expr, b))
		}
		if !b {
			return false, nil
		}
	}
	return true, nil
}

// matchLabels: every plain pattern matches some label, and no negated one
// matches any.
func (c *conditions) matchLabels(f *facts) bool {
	if !f.hasLabels {
		return false
	}
	for _, want := range c.labels {
		found := false
		for _, l := range f.labels {
			if want.matchPrepared(l) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, l := range f.labels {
		if c.notLabels.match(l) {
			return false
		}
	}
	return true
}

// author is who the authors: condition looks at: the comment's author for
// issue_comment, else the pull request's, else the issue's, else the sender.
func author(ev *Event) string {
	switch {
	case ev.Comment != nil && ev.Comment.Author != "":
		return ev.Comment.Author
	case ev.PullRequest != nil && ev.PullRequest.Author != "":
		return ev.PullRequest.Author
	case ev.Issue != nil && ev.Issue.Author != "":
		return ev.Issue.Author
	}
	return ev.Sender
}

// matchPaths reports whether any file matches; complete=false means the list
// may be truncated by GitHub, and then paths: holds (fails open).
func (c *conditions) matchPaths(files []string, complete bool) bool {
	if !complete {
		return true
	}
	for _, f := range files {
		if c.paths.match(f) {
			return true
		}
	}
	return false
}

// pushFiles is the union of the added, removed and modified files of a
// push's commits, and whether the commit list can be complete.
func pushFiles(ev *Event) (files []string, complete bool) {
	seen := make(map[string]struct{})
	for _, c := range ev.Commits {
		for _, list := range [...][]string{c.Added, c.Removed, c.Modified} {
			for _, f := range list {
				if _, dup := seen[f]; !dup {
					seen[f] = struct{}{}
					files = append(files, f)
				}
			}
		}
	}
	return files, len(ev.Commits) < maxPushCommits
}
