package rules

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
)

// oneRule is a config with a single rule r that logs "matched".
func oneRule(on []string, cond config.Conditions) *config.Config {
	return &config.Config{Rules: []*config.Rule{{
		Name: "r", On: on, If: cond,
		Do: []*config.Action{{Log: &config.LogAction{Message: "matched"}}},
	}}}
}

// matchOne reports whether ev matches a rule with on and cond, and the error
// Evaluate returned.
func matchOne(t *testing.T, on []string, cond config.Conditions, ev *Event, files FileLister) (bool, error) {
	t.Helper()
	e, err := Compile(oneRule(on, cond))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	jobs, err := e.Evaluate(context.Background(), ev, files)
	return len(jobs) == 1, err
}

// listFiles is a FileLister with a fixed answer that counts its calls.
type listFiles struct {
	files  []string
	capped bool // GitHub's 3,000-file cap was reached
	err    error
	calls  int
}

func (l *listFiles) PullRequestFiles(ctx context.Context, installation int64, owner, repo string, number int) ([]string, bool, error) {
	l.calls++
	return l.files, l.err == nil && !l.capped, l.err
}

func pushEvent(ref string, files ...string) *Event {
	ev := &Event{Event: "push", Ref: ref, Sender: "octocat", SHA: "0123456789abcdef", ShortSHA: "0123456",
		Repository: Repository{FullName: "acme/app", Owner: "acme", Name: "app"}, raw: &rawPayload{m: map[string]any{}}}
	if b, ok := cutPrefix(ref, "refs/heads/"); ok {
		ev.Branch = b
	}
	if tag, ok := cutPrefix(ref, "refs/tags/"); ok {
		ev.Tag = tag
	}
	if len(files) > 0 {
		ev.Commits = []Commit{{ID: "1", Added: files[:1], Modified: files[1:]}}
	}
	return ev
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}

func prEvent(action, base, head string, draft bool, author string, labels ...string) *Event {
	return &Event{Event: "pull_request", Action: action, Sender: "someone", Installation: 7,
		Repository: Repository{FullName: "acme/app", Owner: "acme", Name: "app"}, Branch: head, SHA: "abc",
		PullRequest: &PullRequest{Number: 5, Base: base, Head: head, Draft: draft, Author: author, Labels: labels},
		raw:         &rawPayload{m: map[string]any{"pull_request": map[string]any{"additions": int64(10), "title": "Fix it"}}}}
}

func issueEvent(author string, labels ...string) *Event {
	return &Event{Event: "issues", Action: "opened", Sender: "someone",
		Repository: Repository{FullName: "acme/app", Owner: "acme", Name: "app"},
		Issue:      &Issue{Number: 9, Author: author, Labels: labels}, raw: &rawPayload{m: map[string]any{}}}
}

func commentOnPR(commenter string, draftKnown bool) *Event {
	return &Event{Event: "issue_comment", Action: "created", Sender: commenter,
		Repository:  Repository{FullName: "acme/app", Owner: "acme", Name: "app"},
		Issue:       &Issue{Number: 5, Author: "alice", Labels: []string{"bug"}},
		PullRequest: &PullRequest{Number: 5, Author: "alice", Labels: []string{"bug"}, draftUnknown: !draftKnown},
		Comment:     &Comment{Body: "/retest", Author: commenter}, raw: &rawPayload{m: map[string]any{}}}
}

func boolp(b bool) *bool { return &b }

// manyCommits is a push of n commits that each touch README.md.
func manyCommits(n int) *Event {
	ev := pushEvent("refs/heads/main")
	for i := 0; i < n; i++ {
		ev.Commits = append(ev.Commits, Commit{ID: fmt.Sprint(i), Modified: []string{"README.md"}})
	}
	return ev
}

func TestConditions(t *testing.T) {
	push := []string{"push"}
	pr := []string{"pull_request"}
	any := []string{"push", "pull_request", "issues", "issue_comment"}
	tests := map[string]struct {
		on    []string
		cond  config.Conditions
		ev    *Event
		files FileLister
		want  bool
	}{
		// on:
		"on push: any push":                  {push, config.Conditions{}, pushEvent("refs/tags/v1"), nil, true},
		"on push: not a pull request":        {push, config.Conditions{}, prEvent("opened", "main", "f", false, "a"), nil, false},
		"on event.action: that action":       {[]string{"pull_request.opened"}, config.Conditions{}, prEvent("opened", "main", "f", false, "a"), nil, true},
		"on event.action: not another":       {[]string{"pull_request.opened"}, config.Conditions{}, prEvent("closed", "main", "f", false, "a"), nil, false},
		"on event: every action":             {pr, config.Conditions{}, prEvent("closed", "main", "f", false, "a"), nil, true},
		"on several: one listed":             {[]string{"issues.closed", "pull_request.closed"}, config.Conditions{}, prEvent("closed", "main", "f", false, "a"), nil, true},
		"on: event that lacks the action":    {[]string{"push.opened"}, config.Conditions{}, pushEvent("refs/heads/main"), nil, false},
		"no conditions: every listed event":  {any, config.Conditions{}, issueEvent("bob"), nil, true},
		"repository glob":                    {push, config.Conditions{Repository: []string{"acme/*"}}, pushEvent("refs/heads/main"), nil, true},
		"repository glob: other owner":       {push, config.Conditions{Repository: []string{"other/*"}}, pushEvent("refs/heads/main"), nil, false},
		"repository: case-insensitive":       {push, config.Conditions{Repository: []string{"ACME/App"}}, pushEvent("refs/heads/main"), nil, true},
		"repository: any of a list":          {push, config.Conditions{Repository: []string{"x/y", "acme/a*"}}, pushEvent("refs/heads/main"), nil, true},
		"repository: event has none":         {[]string{"installation"}, config.Conditions{Repository: []string{"**"}}, &Event{Event: "installation"}, nil, false},
		"branches: pushed branch":            {push, config.Conditions{Branches: []string{"main"}}, pushEvent("refs/heads/main"), nil, true},
		"branches: release/** deep":          {push, config.Conditions{Branches: []string{"release/**"}}, pushEvent("refs/heads/release/1.2/hotfix"), nil, true},
		"branches: release/* one level":      {push, config.Conditions{Branches: []string{"release/*"}}, pushEvent("refs/heads/release/1.2/hotfix"), nil, false},
		"branches: release/* matches one":    {push, config.Conditions{Branches: []string{"release/*"}}, pushEvent("refs/heads/release/1.2"), nil, true},
		"branches: case-sensitive":           {push, config.Conditions{Branches: []string{"Main"}}, pushEvent("refs/heads/main"), nil, false},
		"branches: a tag push lacks one":     {push, config.Conditions{Branches: []string{"**"}}, pushEvent("refs/tags/v1"), nil, false},
		"branches: PR base branch":           {pr, config.Conditions{Branches: []string{"main"}}, prEvent("opened", "main", "feature", false, "a"), nil, true},
		"branches: not the PR head":          {pr, config.Conditions{Branches: []string{"feature"}}, prEvent("opened", "main", "feature", false, "a"), nil, false},
		"branches: issues have none":         {any, config.Conditions{Branches: []string{"**"}}, issueEvent("bob"), nil, false},
		"branches: comment on PR has none":   {any, config.Conditions{Branches: []string{"**"}}, commentOnPR("bob", true), nil, false},
		"tags: glob":                         {push, config.Conditions{Tags: []string{"v*"}}, pushEvent("refs/tags/v1.2.3"), nil, true},
		"tags: no match":                     {push, config.Conditions{Tags: []string{"v*"}}, pushEvent("refs/tags/release-1"), nil, false},
		"tags: a branch push lacks one":      {push, config.Conditions{Tags: []string{"**"}}, pushEvent("refs/heads/v1"), nil, false},
		"tags: a PR lacks one":               {pr, config.Conditions{Tags: []string{"**"}}, prEvent("opened", "v1", "v1", false, "a"), nil, false},
		"base: glob":                         {pr, config.Conditions{Base: []string{"release/*"}}, prEvent("opened", "release/2", "f", false, "a"), nil, true},
		"base: no match":                     {pr, config.Conditions{Base: []string{"main"}}, prEvent("opened", "dev", "f", false, "a"), nil, false},
		"base: a push lacks one":             {push, config.Conditions{Base: []string{"**"}}, pushEvent("refs/heads/main"), nil, false},
		"base: comment on PR lacks one":      {any, config.Conditions{Base: []string{"**"}}, commentOnPR("bob", true), nil, false},
		"head: glob":                         {pr, config.Conditions{Head: []string{"feature/**"}}, prEvent("opened", "main", "feature/a/b", false, "a"), nil, true},
		"head: no match":                     {pr, config.Conditions{Head: []string{"feature/**"}}, prEvent("opened", "main", "fix/a", false, "a"), nil, false},
		"paths: push, *.md at the top":       {push, config.Conditions{Paths: []string{"*.md"}}, pushEvent("refs/heads/main", "src/a.go", "README.md"), nil, true},
		"paths: *.md is not nested":          {push, config.Conditions{Paths: []string{"*.md"}}, pushEvent("refs/heads/main", "docs/guide.md"), nil, false},
		"paths: **/*.md is nested":           {push, config.Conditions{Paths: []string{"**/*.md"}}, pushEvent("refs/heads/main", "docs/a/guide.md"), nil, true},
		"paths: none match":                  {push, config.Conditions{Paths: []string{"src/**", "go.mod"}}, pushEvent("refs/heads/main", "docs/x.md"), nil, false},
		"paths: push without commits":        {push, config.Conditions{Paths: []string{"**"}}, pushEvent("refs/heads/main"), nil, false},
		"paths: PR files from the lister":    {pr, config.Conditions{Paths: []string{"src/**"}}, prEvent("opened", "main", "f", false, "a"), &listFiles{files: []string{"README.md", "src/x/y.go"}}, true},
		"paths: PR files do not match":       {pr, config.Conditions{Paths: []string{"src/**"}}, prEvent("opened", "main", "f", false, "a"), &listFiles{files: []string{"README.md"}}, false},
		"paths: PR without a lister":         {pr, config.Conditions{Paths: []string{"**"}}, prEvent("opened", "main", "f", false, "a"), nil, false},
		"paths: PR list at GitHub's cap":     {pr, config.Conditions{Paths: []string{"src/**"}}, prEvent("opened", "main", "f", false, "a"), &listFiles{files: make([]string, 3000), capped: true}, true},
		"paths: push at GitHub's commit cap": {push, config.Conditions{Paths: []string{"src/**"}}, manyCommits(maxPushCommits), nil, true},
		"paths: push just under the cap":     {push, config.Conditions{Paths: []string{"src/**"}}, manyCommits(maxPushCommits - 1), nil, false},
		"paths: an issue has none":           {any, config.Conditions{Paths: []string{"**"}}, issueEvent("bob"), &listFiles{files: []string{"a"}}, false},
		"labels: all present":                {pr, config.Conditions{Labels: []string{"bug", "ready"}}, prEvent("opened", "main", "f", false, "a", "ready", "bug", "x"), nil, true},
		"labels: one missing":                {pr, config.Conditions{Labels: []string{"bug", "ready"}}, prEvent("opened", "main", "f", false, "a", "bug"), nil, false},
		"labels: negated absent":             {pr, config.Conditions{Labels: []string{"!skip-ci"}}, prEvent("opened", "main", "f", false, "a", "bug"), nil, true},
		"labels: negated present":            {pr, config.Conditions{Labels: []string{"!skip-ci"}}, prEvent("opened", "main", "f", false, "a", "bug", "skip-ci"), nil, false},
		"labels: negated, no labels at all":  {pr, config.Conditions{Labels: []string{"!skip-ci"}}, prEvent("opened", "main", "f", false, "a"), nil, true},
		"labels: both kinds":                 {pr, config.Conditions{Labels: []string{"bug", "!wip"}}, prEvent("opened", "main", "f", false, "a", "bug"), nil, true},
		"labels: glob":                       {pr, config.Conditions{Labels: []string{"size/*"}}, prEvent("opened", "main", "f", false, "a", "size/XL"), nil, true},
		"labels: negated glob":               {pr, config.Conditions{Labels: []string{"!do-not-*"}}, prEvent("opened", "main", "f", false, "a", "do-not-merge"), nil, false},
		"labels: case-insensitive":           {pr, config.Conditions{Labels: []string{"Bug"}}, prEvent("opened", "main", "f", false, "a", "BUG"), nil, true},
		"labels: issue labels":               {any, config.Conditions{Labels: []string{"bug"}}, issueEvent("bob", "bug"), nil, true},
		"labels: a push has none":            {push, config.Conditions{Labels: []string{"!skip-ci"}}, pushEvent("refs/heads/main"), nil, false},
		"authors: PR author":                 {pr, config.Conditions{Authors: []string{"alice"}}, prEvent("opened", "main", "f", false, "alice"), nil, true},
		"authors: not the sender on a PR":    {pr, config.Conditions{Authors: []string{"someone"}}, prEvent("opened", "main", "f", false, "alice"), nil, false},
		"authors: negated bot":               {pr, config.Conditions{Authors: []string{"!dependabot[bot]"}}, prEvent("opened", "main", "f", false, "dependabot[bot]"), nil, false},
		"authors: negated bot, a human":      {pr, config.Conditions{Authors: []string{"!dependabot[bot]"}}, prEvent("opened", "main", "f", false, "alice"), nil, true},
		"authors: [bot] is literal":          {pr, config.Conditions{Authors: []string{"!dependabot[bot]"}}, prEvent("opened", "main", "f", false, "dependabott"), nil, true},
		"authors: every bot":                 {pr, config.Conditions{Authors: []string{"!*[bot]"}}, prEvent("opened", "main", "f", false, "renovate[bot]"), nil, false},
		"authors: glob":                      {pr, config.Conditions{Authors: []string{"team-*"}}, prEvent("opened", "main", "f", false, "team-ops"), nil, true},
		"authors: case-insensitive":          {pr, config.Conditions{Authors: []string{"Alice"}}, prEvent("opened", "main", "f", false, "ALICE"), nil, true},
		"authors: positive and negated":      {pr, config.Conditions{Authors: []string{"team-*", "!team-bots"}}, prEvent("opened", "main", "f", false, "team-ops"), nil, true},
		"authors: negated wins":              {pr, config.Conditions{Authors: []string{"team-*", "!team-bots"}}, prEvent("opened", "main", "f", false, "team-bots"), nil, false},
		"authors: positive must match":       {pr, config.Conditions{Authors: []string{"team-*", "!team-bots"}}, prEvent("opened", "main", "f", false, "alice"), nil, false},
		"authors: the commenter":             {any, config.Conditions{Authors: []string{"bob"}}, commentOnPR("bob", true), nil, true},
		"authors: not the PR's author":       {any, config.Conditions{Authors: []string{"alice"}}, commentOnPR("bob", true), nil, false},
		"authors: issue author":              {any, config.Conditions{Authors: []string{"carol"}}, issueEvent("carol"), nil, true},
		"authors: push falls back to sender": {push, config.Conditions{Authors: []string{"octocat"}}, pushEvent("refs/heads/main"), nil, true},
		"authors: nobody at all":             {[]string{"installation"}, config.Conditions{Authors: []string{"!x"}}, &Event{Event: "installation"}, nil, false},
		"draft: false, not a draft":          {pr, config.Conditions{Draft: boolp(false)}, prEvent("opened", "main", "f", false, "a"), nil, true},
		"draft: false, a draft":              {pr, config.Conditions{Draft: boolp(false)}, prEvent("opened", "main", "f", true, "a"), nil, false},
		"draft: true, a draft":               {pr, config.Conditions{Draft: boolp(true)}, prEvent("opened", "main", "f", true, "a"), nil, true},
		"draft: a push has no PR":            {push, config.Conditions{Draft: boolp(false)}, pushEvent("refs/heads/main"), nil, false},
		"draft: comment, flag unknown":       {any, config.Conditions{Draft: boolp(false)}, commentOnPR("bob", false), nil, false},
		"draft: comment, flag given":         {any, config.Conditions{Draft: boolp(false)}, commentOnPR("bob", true), nil, true},
		"expr: int64 payload vs int literal": {pr, config.Conditions{Expr: "payload.pull_request.additions < 2000"}, prEvent("opened", "main", "f", false, "a"), nil, true},
		"expr: false":                        {pr, config.Conditions{Expr: "payload.pull_request.additions > 2000"}, prEvent("opened", "main", "f", false, "a"), nil, false},
		"expr: equality across int types":    {pr, config.Conditions{Expr: "payload.pull_request.additions == 10"}, prEvent("opened", "main", "f", false, "a"), nil, true},
		"expr: strings":                      {pr, config.Conditions{Expr: `payload.pull_request.title startsWith "Fix"`}, prEvent("opened", "main", "f", false, "a"), nil, true},
		"expr: optional chaining":            {push, config.Conditions{Expr: "(payload.pull_request?.additions ?? 0) < 2000"}, pushEvent("refs/heads/main"), nil, true},
		"all conditions hold": {pr, config.Conditions{Repository: []string{"acme/*"}, Branches: []string{"main"}, Base: []string{"main"}, Head: []string{"f*"},
			Labels: []string{"bug", "!wip"}, Authors: []string{"!dependabot[bot]"}, Draft: boolp(false), Expr: "payload.pull_request.additions < 2000", Paths: []string{"*.go"}},
			prEvent("opened", "main", "feat", false, "alice", "bug"), &listFiles{files: []string{"main.go"}}, true},
		"all but one hold": {pr, config.Conditions{Repository: []string{"acme/*"}, Branches: []string{"main"}, Base: []string{"main"}, Head: []string{"f*"},
			Labels: []string{"bug", "!wip"}, Authors: []string{"!dependabot[bot]"}, Draft: boolp(false), Expr: "payload.pull_request.additions < 2000", Paths: []string{"*.go"}},
			prEvent("opened", "main", "feat", false, "alice", "bug", "wip"), &listFiles{files: []string{"main.go"}}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := matchOne(t, tc.on, tc.cond, tc.ev, tc.files)
			if err != nil {
				t.Fatalf("Evaluate error: %v", err)
			}
			if got != tc.want {
				t.Errorf("matched = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExprRuntimeErrorIsNoMatch(t *testing.T) {
	got, err := matchOne(t, []string{"push"}, config.Conditions{Expr: "payload.pull_request.additions < 2000"}, pushEvent("refs/heads/main"), nil)
	if got {
		t.Error("a failing expression matched")
	}
	var ce *ConditionError
	if !errors.As(err, &ce) || ce.Rule != "r" {
		t.Fatalf("want a *ConditionError for rule r, got %v", err)
	}
	if want := "rule r: expr: cannot fetch additions from <nil>"; err.Error()[:len(want)] != want {
		t.Errorf("error = %q, want it to start %q", err, want)
	}
}

func TestFileListerCalledOnceOnlyWhenNeeded(t *testing.T) {
	rule := func(name string, cond config.Conditions) *config.Rule {
		return &config.Rule{Name: name, On: []string{"pull_request"}, If: cond, Do: []*config.Action{{Log: &config.LogAction{Message: name}}}}
	}
	tests := map[string]struct {
		rules     []*config.Rule
		wantCalls int
		wantJobs  []string
	}{
		"no rule has paths": {
			rules:     []*config.Rule{rule("a", config.Conditions{}), rule("b", config.Conditions{Base: []string{"main"}})},
			wantCalls: 0, wantJobs: []string{"a", "b"},
		},
		"paths rule fails another condition first": {
			rules:     []*config.Rule{rule("a", config.Conditions{Base: []string{"dev"}, Paths: []string{"**"}})},
			wantCalls: 0, wantJobs: nil,
		},
		"several paths rules share one call": {
			rules: []*config.Rule{
				rule("a", config.Conditions{Paths: []string{"src/**"}}),
				rule("b", config.Conditions{Paths: []string{"*.md"}}),
				rule("c", config.Conditions{Paths: []string{"docs/**"}}),
			},
			wantCalls: 1, wantJobs: []string{"a", "b"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e, err := Compile(&config.Config{Rules: tc.rules})
			if err != nil {
				t.Fatal(err)
			}
			lister := &listFiles{files: []string{"src/a.go", "README.md"}}
			jobs, err := e.Evaluate(context.Background(), prEvent("opened", "main", "f", false, "a"), lister)
			if err != nil {
				t.Fatal(err)
			}
			if lister.calls != tc.wantCalls {
				t.Errorf("lister called %d times, want %d", lister.calls, tc.wantCalls)
			}
			var got []string
			for _, j := range jobs {
				got = append(got, j.Rule)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.wantJobs) {
				t.Errorf("jobs for rules %v, want %v", got, tc.wantJobs)
			}
		})
	}
}

func TestFileListerErrorFailsTheEvaluation(t *testing.T) {
	cfg := &config.Config{Rules: []*config.Rule{
		{Name: "first", On: []string{"pull_request"}, Do: []*config.Action{{Log: &config.LogAction{Message: "x"}}}},
		{Name: "paths", On: []string{"pull_request"}, If: config.Conditions{Paths: []string{"**"}}, Do: []*config.Action{{Log: &config.LogAction{Message: "y"}}}},
	}}
	e, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	apiErr := errors.New("GET /repos/acme/app/pulls/5/files: 502 Bad Gateway")
	jobs, err := e.Evaluate(context.Background(), prEvent("opened", "main", "f", false, "a"), &listFiles{err: apiErr})
	var fe *FileListError
	if !errors.As(err, &fe) || !errors.Is(err, apiErr) {
		t.Fatalf("want a *FileListError wrapping the API error, got %v", err)
	}
	if len(jobs) != 0 {
		t.Errorf("got %d jobs, want none: the caller retries the whole delivery", len(jobs))
	}
}
