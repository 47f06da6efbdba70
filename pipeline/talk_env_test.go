package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
	"github.com/switchboard-dev/switchboard/pipeline"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// The conversation tests run the three workers (process, run, follow) on
// River over a real SQLite store, with the commands handler, against the
// fake GitHub and the fake Jenkins, over loopback HTTP. Deliveries go in
// through Store.Enqueue, as intake puts them.

const (
	tAppID  = 515151
	tInst   = 77
	tToken  = "jenkins-token-talk"
	tOwner  = "acme"
	tRepo   = "widgets"
	tPR     = 12
	shaOld  = "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	shaNew  = "2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	waitFor = 30 * time.Second
)

// lazyStore lets the workers reach the store, which is opened after them.
type lazyStore struct {
	mu sync.Mutex
	st *store.Store
}

func (l *lazyStore) get() *store.Store {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

func (l *lazyStore) Delivery(ctx context.Context, id string) (*store.Delivery, error) {
	return l.get().Delivery(ctx, id)
}
func (l *lazyStore) InsertJobs(ctx context.Context, jobs []river.InsertManyParams) (int, error) {
	return l.get().InsertJobs(ctx, jobs)
}
func (l *lazyStore) RecordProcessing(ctx context.Context, p store.Processing) (int, error) {
	return l.get().RecordProcessing(ctx, p)
}
func (l *lazyStore) RecordOutcome(ctx context.Context, o store.Outcome) error {
	return l.get().RecordOutcome(ctx, o)
}
func (l *lazyStore) Outcome(ctx context.Context, d, r string, i int) (*store.Outcome, error) {
	return l.get().Outcome(ctx, d, r, i)
}
func (l *lazyStore) ClaimHead(ctx context.Context, rule, key string, h store.Head) (store.Head, error) {
	return l.get().ClaimHead(ctx, rule, key, h)
}
func (l *lazyStore) CurrentHead(ctx context.Context, rule, key string) (*store.Head, error) {
	return l.get().CurrentHead(ctx, rule, key)
}

type talkEnv struct {
	store *store.Store
	gh    *fakegithub.Server
	jk    *fakejenkins.Server
	logs  *test.Hook
}

// newTalkEnv starts everything with the rules in rulesYAML (a YAML list,
// indented as under rules:) and the commands section cmdYAML ("" for the
// defaults).
func newTalkEnv(t *testing.T, jo fakejenkins.Options, rulesYAML, cmdYAML string) *talkEnv {
	t.Helper()
	return newTalkEnvWith(t, jo, rulesYAML, cmdYAML, "")
}

// newTalkEnvWith is newTalkEnv with more keys for the Jenkins server
// (", report_timeout: 1ms").
func newTalkEnvWith(t *testing.T, jo fakejenkins.Options, rulesYAML, cmdYAML, jenkinsExtra string) *talkEnv {
	t.Helper()
	return newTalkEnvGate(t, jo, rulesYAML, cmdYAML, jenkinsExtra, false)
}

// newTalkEnvGate is newTalkEnvWith, with the hold of untrusted fork pull
// requests (pipeline.Gate) on when gate is true.
func newTalkEnvGate(t *testing.T, jo fakejenkins.Options, rulesYAML, cmdYAML, jenkinsExtra string, gate bool) *talkEnv {
	t.Helper()
	jo.User, jo.Token = "switchboard", tToken
	f := newFakes(t, jo)
	text := fmt.Sprintf("github: {webhook_secret: s, api_url: %q}\n"+
		"retry: {max_attempts: 3, initial_backoff: 10ms, max_backoff: 50ms}\n"+
		"jenkins: {main: {url: %q, user: switchboard, token: %s%s}}\n%s\nrules:\n%s",
		f.gh.URL(), f.jk.URL(), tToken, jenkinsExtra, cmdYAML, rulesYAML)
	live := f.live(t, "talk.yml", text, nil,
		actions.FollowOptions{Deadline: time.Hour, FirstInterval: 5 * time.Millisecond, MaxInterval: 40 * time.Millisecond})
	gh, jk, hook, log, creator := f.gh, f.jk, f.hook, f.log, f.creator

	q := &lazyStore{}
	handler := commands.New(creator, q, creator, log)
	tk := pipeline.Talk{
		Conversation: handler,
		Heads:        q,
		Self:         githubapp.NewBot(creator),
	}
	if gate {
		tk.Gate = handler
	}
	workers := river.NewWorkers()
	follow := pipeline.NewFollow(q, live, log, nil).WithHeads(q)
	river.AddWorker(workers, pipeline.NewProcessor(q, live, creator, log, pipeline.NewMetrics(nil), nil).WithTalk(tk))
	river.AddWorker(workers, pipeline.NewRunner(q, live, log, pipeline.NewMetrics(nil), nil).WithFollowups(follow).WithHeads(q))
	river.AddWorker(workers, follow)
	st := startLazyStore(t, q, workers, log, gh)
	return &talkEnv{store: st, gh: gh, jk: jk, logs: hook}
}

// fakes are the fake GitHub and Jenkins a test environment runs against,
// with the App's client and a log that keeps every entry.
type fakes struct {
	gh      *fakegithub.Server
	jk      *fakejenkins.Server
	key     *fakegithub.Key
	creator *githubapp.Creator
	hook    *test.Hook
	log     *logrus.Entry
}

// newFakes starts a fake Jenkins with jo and a fake GitHub for the test
// App, both closed when the test ends.
func newFakes(t *testing.T, jo fakejenkins.Options) *fakes {
	t.Helper()
	jk := fakejenkins.New(jo)
	t.Cleanup(jk.Close)
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := fakegithub.New(fakegithub.Options{AppID: tAppID, PublicKey: key.PublicKey()})
	t.Cleanup(gh.Close)
	logger, hook := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	log := logrus.NewEntry(logger)
	creator, err := githubapp.New(githubapp.Options{AppID: tAppID, PrivateKey: key.PEM, BaseURL: gh.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return &fakes{gh: gh, jk: jk, key: key, creator: creator, hook: hook, log: log}
}

// live parses the config text (reading env for ${VAR}), compiles its rules
// and builds its actions against the fakes.
func (f *fakes) live(t *testing.T, name, text string, env map[string]string, follow actions.FollowOptions) *pipeline.Live {
	t.Helper()
	cfg, err := config.Parse(name, []byte(text), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v\n%s", err, text)
	}
	engine, err := rules.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	set, err := actions.New(cfg, actions.Deps{Logger: f.log, GitHub: f.creator, Follow: follow})
	if err != nil {
		t.Fatal(err)
	}
	return pipeline.NewLive(&pipeline.Snapshot{Config: cfg, Rules: engine, Actions: set})
}

// startLazyStore opens and starts a store on a SQLite file with workers,
// hands it to q, and at the end stops it and fails the test for every
// request gh refused by its schema check.
func startLazyStore(t *testing.T, q *lazyStore, workers *river.Workers, log *logrus.Entry, gh *fakegithub.Server) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{
		Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "switchboard.db"), Logger: log, Workers: workers,
	})
	if err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	q.st = st
	q.mu.Unlock()
	if err := st.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := st.Stop(ctx); err != nil {
			t.Errorf("store stop: %v", err)
		}
		_ = st.Close()
		for _, v := range gh.SchemaViolations() {
			t.Errorf("request refused by the schema check: %s %s: %s", v.Method, v.Path, v.Problem)
		}
	})
	return st
}

// deliver stores a delivery as intake does; it reports a duplicate.
func (e *talkEnv) deliver(t *testing.T, id, event string, payload map[string]any) bool {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	dup, err := e.store.Enqueue(context.Background(), store.Delivery{ID: id, Event: event, Payload: b, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return dup
}

// waitGH waits until cond holds, checking after every fake GitHub request.
func (e *talkEnv) waitGH(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := e.gh.Wait(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitJK waits until cond holds, checking after every fake Jenkins request.
func (e *talkEnv) waitJK(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := e.jk.Wait(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitOutcome polls the store until delivery's action rule/idx is in one
// of the final states, and returns it.
func (e *talkEnv) waitOutcome(t *testing.T, delivery, rule string, idx int) *store.Outcome {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		o, err := e.store.Outcome(context.Background(), delivery, rule, idx)
		if err == nil && (o.State == store.OutcomeSucceeded || o.State == store.OutcomeFailed || o.State == store.OutcomeCancelled) {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("no final outcome for %s/%s/%d: %+v, %v", delivery, rule, idx, o, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// processed waits until the process job of delivery has finished, by
// waiting for River to complete or cancel it.
func (e *talkEnv) processed(t *testing.T, delivery string) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		done := false
		for _, l := range e.logs.AllEntries() {
			if l.Data["delivery"] == delivery && (l.Message == "delivery processed" || l.Message == "delivery processed with rule errors") {
				done = true
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s not processed", delivery)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func repoJSON(pushedAt int64) map[string]any {
	r := map[string]any{"full_name": tOwner + "/" + tRepo, "name": tRepo, "owner": map[string]any{"login": tOwner}}
	if pushedAt > 0 {
		r["pushed_at"] = pushedAt
	}
	return r
}

func pushPayload(sha, before string, pushedAt int64, sender, senderType string) map[string]any {
	return map[string]any{
		"ref": "refs/heads/main", "before": before, "after": sha, "repository": repoJSON(pushedAt),
		"sender": map[string]any{"login": sender, "type": senderType}, "installation": map[string]any{"id": tInst},
		"commits": []any{},
	}
}

func prPayload(action, sha string, updated time.Time) map[string]any {
	return map[string]any{
		"action": action, "number": tPR,
		"pull_request": map[string]any{
			"number": tPR, "title": "Widgets", "updated_at": updated.UTC().Format(time.RFC3339),
			"head": map[string]any{"ref": "feature", "sha": sha, "repo": repoJSON(0)}, "base": map[string]any{"ref": "main", "repo": repoJSON(0)},
			"user": map[string]any{"login": "octocat", "type": "User"}, "author_association": "MEMBER",
		},
		"repository": repoJSON(0), "sender": map[string]any{"login": "octocat", "type": "User"},
		"installation": map[string]any{"id": tInst},
	}
}

func commentPayload(action string, id int64, body, login, assoc, userType string) map[string]any {
	return map[string]any{
		"action": action,
		"issue": map[string]any{"number": tPR, "title": "Widgets", "user": map[string]any{"login": "octocat"},
			"pull_request": map[string]any{"url": "https://api.github.com/repos/acme/widgets/pulls/12"}},
		"comment": map[string]any{"id": id, "body": body, "author_association": assoc,
			"user": map[string]any{"login": login, "type": userType}},
		"repository": repoJSON(0), "sender": map[string]any{"login": login, "type": userType},
		"installation": map[string]any{"id": tInst},
	}
}

// triggersOf returns the triggers of job whose GIT_SHA parameter is sha.
func (e *talkEnv) triggersOf(job, sha string) int {
	n := 0
	for _, tr := range e.jk.Triggers() {
		if tr.Job == job && tr.Parameters["GIT_SHA"] == sha {
			n++
		}
	}
	return n
}

// finalStatus returns the last status of context on sha that is not
// pending, or "".
func (e *talkEnv) finalStatus(sha, context string) (state, desc string) {
	for _, s := range e.gh.Statuses(tOwner, tRepo, sha) {
		if s.Context == context && s.State != "pending" {
			state, desc = s.State, s.Description
		}
	}
	return state, desc
}

func lines(prefix string, from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "%s %d\n", prefix, i)
	}
	return b.String()
}
