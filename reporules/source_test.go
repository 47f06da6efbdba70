package reporules_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/reporules"
	"github.com/switchboard-dev/switchboard/rules"
)

const (
	appID = 4242
	inst  = 9
)

const central = `github: {webhook_secret: s}
jenkins:
  main: {url: "https://ci.example.com/", user: u, token: t}
repo_rules:
  enabled: true
  jenkins: {connections: [%s], jobs: ["{owner}/{repo}/**"]}
`

func centralConfig(t *testing.T, connections string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("central.yml", []byte(fmt.Sprintf(central, connections)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func file(job string) []byte {
	return []byte("rules:\n  - name: build\n    on: [push]\n    do:\n      - jenkins: {job: \"" + job + "\"}\n")
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	gh    *fakegithub.Server
	gc    *githubapp.Creator
	clock *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := fakegithub.New(fakegithub.Options{AppID: appID, PublicKey: key.PublicKey()})
	t.Cleanup(gh.Close)
	gc, err := githubapp.New(githubapp.Options{AppID: appID, PrivateKey: key.PEM, BaseURL: gh.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return &env{gh: gh, gc: gc, clock: &clock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}}
}

func (e *env) source(o reporules.Options) *reporules.Source {
	logger, _ := test.NewNullLogger()
	o.Now = e.clock.Now
	return reporules.NewSource(e.gc, logrus.NewEntry(logger), o)
}

func (e *env) calls(owner, repo string) int {
	n := 0
	for _, r := range e.gh.Requests() {
		if strings.HasPrefix(r.Path, "/repos/"+owner+"/"+repo+"/contents/") {
			n++
		}
	}
	return n
}

// push builds the event of a push to main (the default branch) of
// owner/repo at sha, changing the files given.
func push(t *testing.T, owner, repo, sha string, changed ...string) *rules.Event {
	t.Helper()
	p := map[string]any{
		"ref": "refs/heads/main", "after": sha, "before": "0000000000000000000000000000000000000001",
		"repository":   map[string]any{"full_name": owner + "/" + repo, "name": repo, "owner": map[string]any{"login": owner}, "default_branch": "main"},
		"installation": map[string]any{"id": inst}, "sender": map[string]any{"login": "octocat"},
		"commits": []any{map[string]any{"id": sha, "modified": changed, "added": []string{}, "removed": []string{}}},
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := rules.NewEvent("push", "d-"+sha[:4], b)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func jobs(t *testing.T, res *reporules.Result, ev *rules.Event) []string {
	t.Helper()
	if res.Rules == nil {
		return nil
	}
	js, _, err := res.Rules.Explain(context.Background(), ev, nil, res.Note)
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	var out []string
	for _, j := range js {
		out = append(out, j.Jenkins.Job)
	}
	return out
}

const (
	shaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	shaB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// Past MaxRepos the least recently used repository is dropped, and read
// again at its next event.
func TestSourceCacheIsBounded(t *testing.T) {
	e := newEnv(t)
	cfg := centralConfig(t, "main")
	src := e.source(reporules.Options{MaxRepos: 2})
	for _, r := range []string{"a", "b", "c"} {
		e.gh.SetFile("acme", r, "", reporules.Path, file("acme/"+r+"/build"))
		res, err := src.For(context.Background(), cfg, push(t, "acme", r, shaA))
		if err != nil {
			t.Fatal(err)
		}
		if got := jobs(t, res, push(t, "acme", r, shaA)); len(got) != 1 || got[0] != "acme/"+r+"/build" {
			t.Fatalf("repository %s: jobs %v", r, got)
		}
	}
	if src.Len() != 2 {
		t.Fatalf("%d repositories cached, want 2", src.Len())
	}
	if _, err := src.For(context.Background(), cfg, push(t, "acme", "a", shaB)); err != nil {
		t.Fatal(err)
	}
	if n := e.calls("acme", "a"); n != 2 {
		t.Errorf("the dropped repository was read %d times, want 2", n)
	}
	if _, err := src.For(context.Background(), cfg, push(t, "acme", "c", shaB)); err != nil {
		t.Fatal(err)
	}
	if n := e.calls("acme", "c"); n != 1 {
		t.Errorf("a cached repository was read %d times, want 1", n)
	}
}

// When GitHub cannot be asked, the copy read earlier applies, and the
// note says so; with no earlier copy the error comes back (the delivery
// is tried again).
func TestSourceGitHubDown(t *testing.T) {
	e := newEnv(t)
	cfg := centralConfig(t, "main")
	src := e.source(reporules.Options{})
	e.gh.SetFile("acme", "widgets", "", reporules.Path, file("acme/widgets/build"))
	e.gh.Fail("GET /repos/acme/gadgets/contents/"+reporules.Path, 1, http.StatusBadGateway, "Server Error")
	if _, err := src.For(context.Background(), cfg, push(t, "acme", "gadgets", shaA)); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("no earlier copy: error %v, want the 502", err)
	}
	if _, err := src.For(context.Background(), cfg, push(t, "acme", "widgets", shaA)); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Minute)
	e.gh.Fail("GET /repos/acme/widgets/contents/"+reporules.Path, 1, http.StatusBadGateway, "Server Error")
	res, err := src.For(context.Background(), cfg, push(t, "acme", "widgets", shaB))
	if err != nil {
		t.Fatal(err)
	}
	if got := jobs(t, res, push(t, "acme", "widgets", shaB)); len(got) != 1 || !strings.Contains(res.Note, "could not read the newest version") {
		t.Errorf("jobs %v, note %q", got, res.Note)
	}
	// A rate limit answered with 403 is not "no file": the rules stay.
	e.clock.Add(2 * time.Minute)
	e.gh.RateLimit("GET /repos/acme/widgets/contents/"+reporules.Path, 1, http.StatusForbidden, e.clock.Now().Add(time.Hour))
	res, err = src.For(context.Background(), cfg, push(t, "acme", "widgets", shaB))
	if err != nil {
		t.Fatal(err)
	}
	if got := jobs(t, res, push(t, "acme", "widgets", shaB)); len(got) != 1 || !strings.Contains(res.Note, "rate limit") {
		t.Errorf("rate limited: jobs %v, note %q", got, res.Note)
	}
}

// A push to the organisation's .github repository that changes its file
// makes every repository using it read it again at its next event, even
// inside the revalidation interval.
func TestOrgPushRefreshesItsRepositories(t *testing.T) {
	e := newEnv(t)
	cfg := centralConfig(t, "main")
	src := e.source(reporules.Options{Revalidate: time.Hour})
	e.gh.SetFile("acme", ".github", "", reporules.Path, file("{{ .Repository.FullName }}/v1"))
	res, err := src.For(context.Background(), cfg, push(t, "acme", "widgets", shaA))
	if err != nil {
		t.Fatal(err)
	}
	if got := jobs(t, res, push(t, "acme", "widgets", shaA)); len(got) != 1 || got[0] != "acme/widgets/v1" {
		t.Fatalf("jobs %v", got)
	}
	e.gh.SetFile("acme", ".github", "", reporules.Path, file("{{ .Repository.FullName }}/v2"))
	e.gh.SetFile("acme", ".github", shaB, reporules.Path, file("{{ .Repository.FullName }}/v2"))
	if _, err := src.For(context.Background(), cfg, push(t, "acme", ".github", shaB, reporules.Path)); err != nil {
		t.Fatal(err)
	}
	res, err = src.For(context.Background(), cfg, push(t, "acme", "widgets", shaB))
	if err != nil {
		t.Fatal(err)
	}
	if got := jobs(t, res, push(t, "acme", "widgets", shaB)); len(got) != 1 || got[0] != "acme/widgets/v2" {
		t.Fatalf("after the organisation's push: jobs %v, want acme/widgets/v2", got)
	}
}

// A reload of the central file applies its policy to the cached files: a
// connection no longer listed refuses the file.
func TestCentralReloadRechecksTheFile(t *testing.T) {
	e := newEnv(t)
	src := e.source(reporules.Options{Revalidate: time.Hour})
	e.gh.SetFile("acme", "widgets", "", reporules.Path, file("acme/widgets/build"))
	res, err := src.For(context.Background(), centralConfig(t, "main"), push(t, "acme", "widgets", shaA))
	if err != nil || res.Rules == nil {
		t.Fatalf("rules %v, error %v", res, err)
	}
	res, err = src.For(context.Background(), centralConfig(t, ""), push(t, "acme", "widgets", shaB))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rules != nil || !strings.Contains(res.Note, "repo_rules.jenkins.connections is empty") {
		t.Errorf("under the new policy: rules %v, note %q", res.Rules, res.Note)
	}
}

// Rules compiled for one repository never match another's events, and a
// templated job path that renders outside the globs is refused, not
// queued.
func TestExplainStaysInItsRepositoryAndPolicy(t *testing.T) {
	cfg := centralConfig(t, "main")
	data := []byte("rules:\n  - name: build\n    on: [push]\n    do:\n      - jenkins: {job: \"{{ .Repository.Owner }}/shared/build\"}\n      - log: {message: hi}\n")
	r, err := reporules.Compile(cfg, "acme", "widgets", "acme/widgets", reporules.BlobSHA(data), data)
	if err != nil {
		t.Fatal(err)
	}
	js, ex, err := r.Explain(context.Background(), push(t, "acme", "gadgets", shaA), nil, "")
	if len(js) != 0 || len(ex) != 0 || err != nil {
		t.Errorf("another repository's event: jobs %v, explanations %v, error %v", js, ex, err)
	}
	js, _, err = r.Explain(context.Background(), push(t, "acme", "widgets", shaA), nil, "")
	var re *rules.RenderError
	if len(js) != 1 || js[0].Kind != "log" || !errorsAs(err, &re) || !strings.Contains(err.Error(), `job "acme/shared/build" is outside repo_rules.jenkins.jobs`) {
		t.Errorf("jobs %+v, error %v", js, err)
	}
}

// Without checks: write the file's problems go to a commit status.
func TestReportFallsBackToCommitStatus(t *testing.T) {
	e := newEnv(t)
	e.gh.Fail("POST /repos/acme/widgets/check-runs", 1, http.StatusForbidden, "Resource not accessible by integration")
	problems := config.Errors{{Pos: config.Position{File: reporules.Path, Line: 5, Column: 24}, Key: "rules[0].do[0].jenkins.job", Msg: "job outside"}}
	if err := reporules.NewCheckReporter(e.gc).ReportConfig(context.Background(), inst, "acme", "widgets", shaA, problems); err != nil {
		t.Fatal(err)
	}
	st := e.gh.Statuses("acme", "widgets", shaA)
	if len(st) != 1 || st[0].Context != reporules.CheckName || st[0].State != "failure" || st[0].Description != "line 5: rules[0].do[0].jenkins.job: job outside" {
		t.Fatalf("statuses %+v", st)
	}
	if runs := e.gh.CheckRuns("acme", "widgets", shaA); len(runs) != 0 {
		t.Errorf("check runs %+v", runs)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// A push that removes the file removes the repository's rules (the
// organisation's, when there are any, apply from then on).
func TestPushRemovingTheFile(t *testing.T) {
	e := newEnv(t)
	cfg := centralConfig(t, "main")
	src := e.source(reporules.Options{Revalidate: time.Hour, Reporter: reporules.NewCheckReporter(e.gc)})
	e.gh.SetFile("acme", "widgets", "", reporules.Path, file("acme/widgets/build"))
	e.gh.SetFile("acme", ".github", "", reporules.Path, file("{{ .Repository.FullName }}/org"))
	res, err := src.For(context.Background(), cfg, push(t, "acme", "widgets", shaA))
	if err != nil {
		t.Fatal(err)
	}
	if got := jobs(t, res, push(t, "acme", "widgets", shaA)); len(got) != 1 || got[0] != "acme/widgets/build" {
		t.Fatalf("jobs %v", got)
	}
	// At shaB the file is gone.
	res, err = src.For(context.Background(), cfg, push(t, "acme", "widgets", shaB, reporules.Path))
	if err != nil {
		t.Fatal(err)
	}
	if got := jobs(t, res, push(t, "acme", "widgets", shaB)); len(got) != 1 || got[0] != "acme/widgets/org" || res.Rules.From != "acme/.github" {
		t.Fatalf("after the removal: jobs %v from %s, want the organisation's", got, res.Rules.From)
	}
	if runs := e.gh.CheckRuns("acme", "widgets", shaB); len(runs) != 0 {
		t.Errorf("a removal was reported: %+v", runs)
	}
}
