package rules

import (
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/switchboard-dev/switchboard/config"
)

// GitHub's limits on changed-file lists; a list this long may be incomplete,
// and paths: then fails open (see the package documentation).
const (
	maxPullRequestFiles = 3000
	maxPushCommits      = 2048
)

// conditions is a rule's if:, compiled.
type conditions struct {
	repository globs
	branches   globs
	tags       globs
	base       globs
	head       globs
	paths      globs
	labels     []glob // each must match some label
	notLabels  globs  // none may match any label
	authors    globs  // when given, one must match the author
	notAuthors globs  // none may match the author
	hasLabels  bool
	hasAuthors bool
	draft      *bool
	expr       *vm.Program
	exprSrc    string
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
	var labels globs
	labels, out.notLabels = list("labels", c.Labels, labelKind)
	out.labels = labels
	out.hasLabels = len(c.Labels) > 0
	out.authors, out.notAuthors = list("authors", c.Authors, authorKind)
	out.hasAuthors = len(c.Authors) > 0
	out.draft = c.Draft
	if c.Expr != "" {
		prog, err := expr.Compile(c.Expr, expr.Env(exprEnv()), expr.AsBool())
		if err != nil {
			errs = append(errs, cfg.Errorf(key+".expr", "expression does not compile: %s", oneLine(err.Error())))
		} else {
			out.expr = prog
			out.exprSrc = c.Expr
		}
	}
	return out, errs
}

// filesNeeded reports whether matching needs the changed files.
func (c *conditions) filesNeeded() bool { return len(c.paths) > 0 }

// match tests every condition but paths; exprErr is set when the expression
// failed at run time (which is no match).
func (c *conditions) match(ev *Event, env map[string]any) (ok bool, exprErr error) {
	if len(c.repository) > 0 && (ev.Repository.FullName == "" || !c.repository.match(ev.Repository.FullName)) {
		return false, nil
	}
	if len(c.branches) > 0 {
		var branch string
		switch ev.Event {
		case "push":
			branch = ev.Branch
		case "pull_request":
			if ev.PullRequest != nil {
				branch = ev.PullRequest.Base
			}
		}
		if branch == "" || !c.branches.match(branch) {
			return false, nil
		}
	}
	if len(c.tags) > 0 && (ev.Event != "push" || ev.Tag == "" || !c.tags.match(ev.Tag)) {
		return false, nil
	}
	if len(c.base) > 0 && (ev.PullRequest == nil || ev.PullRequest.Base == "" || !c.base.match(ev.PullRequest.Base)) {
		return false, nil
	}
	if len(c.head) > 0 && (ev.PullRequest == nil || ev.PullRequest.Head == "" || !c.head.match(ev.PullRequest.Head)) {
		return false, nil
	}
	if c.draft != nil && (ev.PullRequest == nil || ev.PullRequest.draftUnknown || ev.PullRequest.Draft != *c.draft) {
		return false, nil
	}
	if c.hasLabels && !c.matchLabels(ev) {
		return false, nil
	}
	if c.hasAuthors && !c.matchAuthor(ev) {
		return false, nil
	}
	if c.expr != nil {
		out, err := expr.Run(c.expr, env)
		if err != nil {
			return false, err
		}
		if b, _ := out.(bool); !b {
			return false, nil
		}
	}
	return true, nil
}

func (c *conditions) matchLabels(ev *Event) bool {
	var labels []string
	switch {
	case ev.PullRequest != nil:
		labels = ev.PullRequest.Labels
	case ev.Issue != nil:
		labels = ev.Issue.Labels
	default:
		return false
	}
	for _, want := range c.labels {
		found := false
		for _, l := range labels {
			if want.match(l) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, l := range labels {
		if c.notLabels.match(l) {
			return false
		}
	}
	return true
}

// author is who the authors: condition looks at (see the package docs).
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

func (c *conditions) matchAuthor(ev *Event) bool {
	a := author(ev)
	if a == "" || c.notAuthors.match(a) {
		return false
	}
	return len(c.authors) == 0 || c.authors.match(a)
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
