package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
	"github.com/switchboard-dev/switchboard/pipeline"
	"github.com/switchboard-dev/switchboard/reporules"
	"github.com/switchboard-dev/switchboard/store"
)

// The repository rules tests run the process and run workers on River
// over a real SQLite store with a reporules.Source reading the fake
// GitHub's contents API, and triggering the fake Jenkins.

// repoPolicy is the central file's policy and one central rule.
const repoCentral = `github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}", api_url: %q}
retry: {max_attempts: 3, initial_backoff: 10ms, max_backoff: 50ms}
jenkins:
  main: {url: %q, user: switchboard, token: %s}
  other: {url: %q, user: switchboard, token: %s}
repo_rules:
  enabled: true
  jenkins: {connections: [main], jobs: ["{owner}/{repo}/**"]}
rules:
  - name: central
    on: [push]
    do:
      - log: {message: "central {{ .ShortSHA }}"}
`

// webhookSecret is the server's secret in the environment.
const webhookSecret = "wh-secret-never-rendered-4711"

type repoEnv struct {
	*talkEnv
	clock *fakeClock
	src   *reporules.Source
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newRepoEnv(t *testing.T) *repoEnv {
	t.Helper()
	f := newFakes(t, fakejenkins.Options{User: "switchboard", Token: tToken})
	text := fmt.Sprintf(repoCentral, f.gh.URL(), f.jk.URL(), tToken, f.jk.URL(), tToken)
	live := f.live(t, "central.yml", text, map[string]string{"GITHUB_WEBHOOK_SECRET": webhookSecret}, actions.FollowOptions{})
	gh, jk, hook, log, creator := f.gh, f.jk, f.hook, f.log, f.creator
	clock := &fakeClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	src := reporules.NewSource(creator, log, reporules.Options{Now: clock.Now, Revalidate: time.Minute,
		Reporter: reporules.NewCheckReporter(creator)})

	q := &lazyStore{}
	workers := river.NewWorkers()
	river.AddWorker(workers, pipeline.NewProcessor(q, live, creator, log, pipeline.NewMetrics(nil), nil).WithRepoRules(src))
	river.AddWorker(workers, pipeline.NewRunner(q, live, log, pipeline.NewMetrics(nil), nil))
	// Registered first, so that it runs after the store has stopped.
	t.Cleanup(func() {
		for _, l := range hook.AllEntries() {
			if s, _ := l.String(); strings.Contains(s, webhookSecret) {
				t.Errorf("the webhook secret reached the log: %s", s)
			}
		}
	})
	st := startLazyStore(t, q, workers, log, gh)
	return &repoEnv{talkEnv: &talkEnv{store: st, gh: gh, jk: jk, logs: hook}, clock: clock, src: src}
}

// repoPush is a push to main (the default branch) of owner/repo, changing
// the files given.
func repoPush(owner, repo, sha, before string, changed ...string) map[string]any {
	return map[string]any{
		"ref": "refs/heads/main", "before": before, "after": sha,
		"repository": map[string]any{"full_name": owner + "/" + repo, "name": repo, "owner": map[string]any{"login": owner},
			"default_branch": "main"},
		"sender": map[string]any{"login": "octocat", "type": "User"}, "installation": map[string]any{"id": tInst},
		"commits": []any{map[string]any{"id": sha, "message": "change", "added": []any{}, "removed": []any{},
			"modified": toAny(changed)}},
		"head_commit": map[string]any{"id": sha, "timestamp": "2026-12-06T12:00:00Z"},
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// history delivers payload as id, waits until it is processed and returns
// its history.
func (e *repoEnv) history(t *testing.T, id string, payload map[string]any) *store.DeliveryDetail {
	t.Helper()
	e.deliver(t, id, "push", payload)
	e.processed(t, id)
	d, err := e.store.DeliveryHistory(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// contentsCalls counts the contents API requests for path-of-repo answered
// with status (0: any).
func (e *repoEnv) contentsCalls(owner, repo string, status int) int {
	n := 0
	for _, r := range e.gh.Requests() {
		if strings.HasPrefix(r.Path, "/repos/"+owner+"/"+repo+"/contents/") && (status == 0 || r.Status == status) {
			n++
		}
	}
	return n
}

// rule returns the explanation of rule name in d, or nil.
func rule(d *store.DeliveryDetail, name string) *store.RuleRecord {
	for i := range d.Rules {
		if d.Rules[i].Name == name {
			return &d.Rules[i]
		}
	}
	return nil
}

// jobsOf lists the "rule/kind" of every action d queued.
func jobsOf(d *store.DeliveryDetail) []string {
	var out []string
	for _, a := range d.ActionList {
		out = append(out, a.Rule+"/"+a.Kind)
	}
	return out
}

// triggered waits until Jenkins got job with GIT_SHA sha.
func (e *repoEnv) triggered(t *testing.T, job, sha string) {
	t.Helper()
	e.waitJK(t, "trigger of "+job, func() bool { return e.triggersOf(job, sha) > 0 })
}
