package pipeline

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/budget"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/reporules"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

func readWebhook(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jobKinds counts the River jobs in the SQLite file at dsn by kind.
func jobKinds(t *testing.T, dsn string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Query(`SELECT kind, count(*) FROM river_job GROUP BY kind`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got := map[string]int{}
	for rs.Next() {
		var k string
		var n int
		if err := rs.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		got[k] = n
	}
	return got
}

// TestIntakeDecidesAsTheWorkerWould: a delivery decided at commit time is
// stored with the same history (summary, explanations, actions and their
// params) as the worker records for the same payload, with one run_action
// job per action and no process_delivery job; a duplicate writes nothing.
func TestIntakeDecidesAsTheWorkerWould(t *testing.T) {
	ctx := context.Background()
	e := newProcessEnv(t, processConfig)
	payload := readWebhook(t, "push.branch.json")
	in := NewIntake(e.store, e.p)
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

	dup, err := in.Enqueue(ctx, store.Delivery{ID: "same", Event: "push", Payload: payload, ReceivedAt: at})
	if err != nil || dup {
		t.Fatalf("Enqueue = %v, %v", dup, err)
	}
	if got, want := jobKinds(t, e.dsn), map[string]int{"run_action": 3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("jobs after intake = %v, want %v", got, want)
	}
	dup, err = in.Enqueue(ctx, store.Delivery{ID: "same", Event: "push", Payload: payload, ReceivedAt: at})
	if err != nil || !dup {
		t.Fatalf("second Enqueue = %v, %v; want a duplicate", dup, err)
	}
	if got := jobKinds(t, e.dsn)["run_action"]; got != 3 {
		t.Fatalf("a duplicate queued more: %d run_action jobs", got)
	}

	// The same payload through the worker, in a second store.
	w := newProcessEnv(t, processConfig)
	if _, err := w.store.Enqueue(ctx, store.Delivery{ID: "same", Event: "push", Payload: payload, ReceivedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := w.p.Work(ctx, &river.Job[store.ProcessDeliveryArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1},
		Args: store.ProcessDeliveryArgs{Delivery: "same", Event: "push"}}); err != nil {
		t.Fatal(err)
	}
	decided, err := e.store.DeliveryHistory(ctx, "same")
	if err != nil {
		t.Fatal(err)
	}
	worked, err := w.store.DeliveryHistory(ctx, "same")
	if err != nil {
		t.Fatal(err)
	}
	if decided.RulesMatched != 2 || len(decided.ActionList) != 3 {
		t.Fatalf("decided at intake: %d rules matched, %d actions; want 2 and 3", decided.RulesMatched, len(decided.ActionList))
	}
	if !reflect.DeepEqual(decided.DeliverySummary, worked.DeliverySummary) {
		t.Errorf("summary at intake %+v\nby the worker    %+v", decided.DeliverySummary, worked.DeliverySummary)
	}
	if !reflect.DeepEqual(decided.Rules, worked.Rules) {
		t.Errorf("explanations at intake %+v\nby the worker         %+v", decided.Rules, worked.Rules)
	}
	for i := range decided.ActionList {
		a, b := decided.ActionList[i], worked.ActionList[i]
		if a.Rule != b.Rule || a.Index != b.Index || a.State != b.State || !bytes.Equal(a.Params, b.Params) {
			t.Errorf("action %d at intake %+v\nby the worker %+v", i, a, b)
		}
	}
}

// stubConversation involves itself in issue comments only; Jobs must not
// be reached by an offline evaluation.
type stubConversation struct{ t *testing.T }

func (c stubConversation) Involves(ev *rules.Event) bool { return ev.Event == "issue_comment" }

func (c stubConversation) Jobs(context.Context, *Snapshot, *rules.Event) ([]actions.Job, error) {
	c.t.Error("Decide asked the conversation for jobs")
	return nil, nil
}

// stubRepoRules fails the test if Decide asks for a repository's rules.
type stubRepoRules struct{ t *testing.T }

func (s stubRepoRules) For(context.Context, *config.Config, *rules.Event) (*reporules.Result, error) {
	s.t.Error("Decide read a repository's rules")
	return &reporules.Result{}, nil
}

// stubFiles fails the test if Decide lists a pull request's files.
type stubFiles struct{ t *testing.T }

func (f stubFiles) PullRequestFiles(context.Context, int64, string, string, int) ([]string, bool, error) {
	f.t.Error("Decide listed a pull request's files")
	return nil, false, nil
}

// anyPR is one rule, any, with one log action for every pull request.
const anyPR = `
github: {webhook_secret: s}
rules:
  - name: any
    on: [pull_request]
    do:
      - log: {message: "x"}
`

// TestDecideLeavesToTheWorker: what cannot be decided without leaving the
// process, or should not be decoded in the request, goes to the worker
// with a process_delivery job; nothing outside the process is called.
func TestDecideLeavesToTheWorker(t *testing.T) {
	ctx := context.Background()
	const anyPush = `
github: {webhook_secret: s}
rules:
  - name: any
    on: [push, issue_comment]
    do:
      - log: {message: "x"}
`
	tests := map[string]struct {
		cfg     string
		event   string
		payload []byte
		setup   func(p *Processor)
	}{
		"unparsable payload": {cfg: anyPush, event: "push", payload: []byte(`{"ref": 5}`)},
		"payload over DecideMaxBytes": {cfg: anyPush, event: "push",
			payload: append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), DecideMaxBytes)...), `"}`...)},
		"a conversation": {cfg: anyPush, event: "issue_comment", payload: readWebhook(t, "issue_comment.created-pr.json"),
			setup: func(p *Processor) { p.WithTalk(Talk{Conversation: stubConversation{t}}) }},
		"repository rules": {cfg: anyPush + "repo_rules: {enabled: true}\n", event: "push", payload: readWebhook(t, "push.branch.json"),
			setup: func(p *Processor) { p.WithRepoRules(stubRepoRules{t}) }},
		"a pull request's files": {event: "pull_request", payload: readWebhook(t, "pull_request.opened.json"), cfg: `
github: {webhook_secret: s}
rules:
  - name: api
    on: [pull_request]
    if: {paths: ["api/**"]}
    do:
      - log: {message: "x"}
`, setup: func(p *Processor) { p.files = stubFiles{t} }},
		"a large payload with no room in the memory budget": {cfg: anyPush, event: "push", payload: paddedPush(t, 100<<10),
			setup: func(p *Processor) {
				b := budget.New(8<<20, 0, 1<<20)
				if _, err := b.Acquire(context.Background(), b.General()); err != nil {
					t.Fatal(err)
				}
				p.WithBudget(b)
			}},
		"a fork's pull request the payload holds": {cfg: anyPR, event: "pull_request", payload: forkPR(t),
			setup: func(p *Processor) { p.WithTalk(Talk{Gate: failingGate{t}}) }},
		"a superseding rule": {event: "push", payload: readWebhook(t, "push.branch.json"), cfg: `
github: {webhook_secret: s}
rules:
  - name: build
    on: [push]
    supersede: true
    do:
      - log: {message: "x"}
`, setup: func(p *Processor) { p.WithTalk(Talk{Heads: failingHeads{t}}) }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newProcessEnv(t, tc.cfg)
			if tc.setup != nil {
				tc.setup(e.p)
			}
			d := store.Delivery{ID: "left-1", Event: tc.event, Payload: tc.payload}
			if dec, ok := e.p.Decide(ctx, d); ok {
				t.Fatalf("Decide decided: %+v", dec.Processing)
			}
			if _, err := NewIntake(e.store, e.p).Enqueue(ctx, d); err != nil {
				t.Fatal(err)
			}
			if got, want := jobKinds(t, e.dsn), map[string]int{"process_delivery": 1}; !reflect.DeepEqual(got, want) {
				t.Errorf("jobs = %v, want %v", got, want)
			}
		})
	}
}

// failingGate fails the test if Decide asks it whether to hold an event.
type failingGate struct{ t *testing.T }

func (g failingGate) Hold(context.Context, *Snapshot, *rules.Event) (string, error) {
	g.t.Error("Decide asked the gate")
	return "", nil
}

// countingGate lets every event run and counts the questions.
type countingGate struct{ asked *int }

func (g countingGate) Hold(context.Context, *Snapshot, *rules.Event) (string, error) {
	*g.asked++
	return "", nil
}

// forkPR is GitHub's example pull request opened from a stranger's fork.
func forkPR(t *testing.T) []byte {
	var m map[string]any
	if err := json.Unmarshal(readWebhook(t, "pull_request.opened.json"), &m); err != nil {
		t.Fatal(err)
	}
	pr := m["pull_request"].(map[string]any)
	pr["author_association"] = "NONE"
	pr["head"].(map[string]any)["repo"].(map[string]any)["full_name"] = "stranger/Hello-World"
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecideTakesPullRequestsThePayloadTrusts: a pull request whose
// payload shows it may run (here its owner's, from the repository itself)
// is decided at intake, even with the gate on; the gate's answer needs no
// API call for it.
func TestDecideTakesPullRequestsThePayloadTrusts(t *testing.T) {
	e := newProcessEnv(t, anyPR)
	asked := 0
	e.p.WithTalk(Talk{Gate: countingGate{&asked}})
	dec, ok := e.p.Decide(context.Background(), store.Delivery{ID: "pr-1", Event: "pull_request", Payload: readWebhook(t, "pull_request.opened.json")})
	if !ok || len(dec.Processing.Actions) != 1 {
		t.Fatalf("Decide = %v, %v; want the rule's one action", dec, ok)
	}
	if asked != 1 {
		t.Errorf("the gate was asked %d times, want 1", asked)
	}
}

// paddedPush is GitHub's example push with a field of n bytes added.
func paddedPush(t *testing.T, n int) []byte {
	p := readWebhook(t, "push.branch.json")
	return append([]byte(`{"pad":"`+strings.Repeat("x", n)+`",`), bytes.TrimPrefix(bytes.TrimSpace(p), []byte("{"))...)
}

// TestDecideTakesRoomInTheBudget: a large payload is decided at intake
// when the budget has room for decoding it, and the room is given back.
func TestDecideTakesRoomInTheBudget(t *testing.T) {
	e := newProcessEnv(t, processConfig)
	b := budget.New(8<<20, 0, 1<<20)
	e.p.WithBudget(b)
	dec, ok := e.p.Decide(context.Background(), store.Delivery{ID: "large-1", Event: "push", Payload: paddedPush(t, 100<<10)})
	if !ok || len(dec.Processing.Actions) != 3 {
		t.Fatalf("Decide = %v, %v; want 3 actions", dec, ok)
	}
	if g, r := b.InUse(); g != 0 || r != 0 {
		t.Errorf("budget in use after Decide: %d general, %d reserved", g, r)
	}
}

// failingHeads fails the test if a head is claimed or read.
type failingHeads struct{ t *testing.T }

func (h failingHeads) ClaimHead(context.Context, string, string, store.Head) (store.Head, error) {
	h.t.Error("Decide claimed a head")
	return store.Head{}, nil
}

func (h failingHeads) CurrentHead(context.Context, string, string) (*store.Head, error) {
	h.t.Error("Decide read a head")
	return nil, nil
}
