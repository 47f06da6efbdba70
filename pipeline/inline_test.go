package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/store"
)

// jobStates lists the run_action jobs in the SQLite file at dsn as
// "state/attempt" strings.
func jobStates(t *testing.T, dsn string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Query(`SELECT state, attempt FROM river_job WHERE kind = 'run_action' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var got []string
	for rs.Next() {
		var st string
		var n int
		if err := rs.Scan(&st, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, st+"/"+string(rune('0'+n)))
	}
	return got
}

// waitStates polls jobStates until want, or fails.
func waitStates(t *testing.T, dsn string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := jobStates(t, dsn)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("run_action jobs = %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestInlineRunsTheFirstAttempt: the actions intake decides are queued
// already running and run at once in this process. The store here has no
// River workers at all, so only Inline can have run them: each job ends
// completed at attempt 1, each action succeeded, and the outcome history
// has its attempt.
func TestInlineRunsTheFirstAttempt(t *testing.T) {
	ctx := context.Background()
	e := newProcessEnv(t, processConfig)
	runner := NewRunner(e.queue, e.live, e.log, NewMetrics(nil), nil)
	inline := NewInline(runner, e.store, 4, 30*time.Second, time.Minute, e.log)
	in := NewIntake(e.store, e.p).WithInline(inline)

	if _, err := in.Enqueue(ctx, store.Delivery{ID: "inline-1", Event: "push", Payload: readWebhook(t, "push.branch.json")}); err != nil {
		t.Fatal(err)
	}
	waitStates(t, e.dsn, "completed/1", "completed/1", "completed/1")
	outs, err := e.store.Outcomes(ctx, "inline-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 3 {
		t.Fatalf("%d outcomes, want 3", len(outs))
	}
	for _, o := range outs {
		if o.State != store.OutcomeSucceeded || o.Attempts != 1 {
			t.Errorf("outcome %s/%d: %s after %d attempts, want succeeded after 1", o.Rule, o.Index, o.State, o.Attempts)
		}
	}
	if err := inline.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestInlineHandsRetriesToRiver: a first attempt that fails with a
// retryable error gives its job back to River, scheduled for the retry's
// time, with the outcome saying retrying; a full Inline leaves the next
// delivery's jobs available for River's workers; a stopped one takes no
// more and waits for what runs.
func TestInlineHandsRetriesToRiver(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path == "/slow" {
			<-release
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	e := newProcessEnv(t, `
github: {webhook_secret: s}
retry: {max_attempts: 5, initial_backoff: 1m}
rules:
  - name: hook
    on: [push]
    if: {branches: [master]}
    do:
      - http: {url: "`+srv.URL+`/fails", body: '{"a":1}'}
  - name: slow
    on: [issues]
    do:
      - http: {url: "`+srv.URL+`/slow", body: '{"a":1}'}
`)
	runner := NewRunner(e.queue, e.live, e.log, NewMetrics(nil), nil)
	inline := NewInline(runner, e.store, 1, 30*time.Second, time.Minute, e.log)
	in := NewIntake(e.store, e.p).WithInline(inline)

	if _, err := in.Enqueue(ctx, store.Delivery{ID: "retry-1", Event: "push", Payload: readWebhook(t, "push.branch.json")}); err != nil {
		t.Fatal(err)
	}
	waitStates(t, e.dsn, "scheduled/1")
	out, err := e.store.Outcome(ctx, "retry-1", "hook", 0)
	if err != nil || out.State != store.OutcomeRetrying || out.NextAttemptAt.Before(time.Now().Add(30*time.Second)) {
		t.Fatalf("outcome = %+v, %v; want retrying about a minute from now", out, err)
	}

	// The one worker is taken by a slow action.
	if _, err := in.Enqueue(ctx, store.Delivery{ID: "slow-1", Event: "issues", Payload: readWebhook(t, "issues.opened.json")}); err != nil {
		t.Fatal(err)
	}
	waitStates(t, e.dsn, "scheduled/1", "running/1")
	for calls.Load() < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	// Claimed, it was recorded running from the start: had the process
	// died now, the next attempt would know this one may have acted.
	if o, err := e.store.Outcome(ctx, "slow-1", "slow", 0); err != nil || o.State != store.OutcomeRunning || o.Attempts != 1 {
		t.Fatalf("outcome of the running action = %+v, %v; want running, attempt 1", o, err)
	}
	// Every other place taken too (the slow job holds one): the next
	// delivery's job is left to River.
	if !inline.reserve(PendingPerWorker - 1) {
		t.Fatal("the other places were not free")
	}
	if _, err := in.Enqueue(ctx, store.Delivery{ID: "retry-2", Event: "push", Payload: readWebhook(t, "push.branch.json")}); err != nil {
		t.Fatal(err)
	}
	waitStates(t, e.dsn, "scheduled/1", "running/1", "available/0")
	inline.release(PendingPerWorker - 1)

	stopped := make(chan error, 1)
	go func() { stopped <- inline.Stop(ctx) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned %v while an action ran", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	waitStates(t, e.dsn, "scheduled/1", "scheduled/1", "available/0")
	if inline.reserve(1) {
		t.Error("a stopped Inline took a job")
	}
}

// failingEnds is an InlineStore whose attempt-end write fails; it records
// how the job was then finished.
type failingEnds struct {
	*store.Store
	finished chan string
}

func (f failingEnds) RecordOutcomeFinish(context.Context, store.Outcome, int64, store.JobEnd) error {
	return errors.New("disk full")
}

func (f failingEnds) FinishClaimed(_ context.Context, id int64, end store.JobEnd) error {
	f.finished <- fmt.Sprintf("job %d completed=%v runAt in the past=%v", id, end.Completed, !end.RunAt.After(time.Now()))
	return nil
}

// TestInlineHandsBackWhenTheEndCannotBeRecorded: an attempt whose end
// cannot be written hands its job back to River to run now (the Runner
// will find the outcome as it stands), and its place is free again.
func TestInlineHandsBackWhenTheEndCannotBeRecorded(t *testing.T) {
	ctx := context.Background()
	e := newProcessEnv(t, processConfig)
	runner := NewRunner(e.queue, e.live, e.log, NewMetrics(nil), nil)
	st := failingEnds{Store: e.store, finished: make(chan string, 3)}
	inline := NewInline(runner, st, 3, 30*time.Second, time.Minute, e.log)
	if _, err := NewIntake(e.store, e.p).WithInline(inline).Enqueue(ctx,
		store.Delivery{ID: "disk-1", Event: "push", Payload: readWebhook(t, "push.branch.json")}); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for i := 0; i < 3; i++ {
		select {
		case f := <-st.finished:
			got[f] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("after %d of 3 jobs, no more were handed back", i)
		}
	}
	for f := range got {
		if !strings.HasSuffix(f, "completed=false runAt in the past=true") {
			t.Errorf("handed back as %q, want not completed, to run now", f)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !inline.reserve(3) {
		if time.Now().After(deadline) {
			t.Fatal("the places of the failed attempts are not free again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	inline.release(3)
	if err := inline.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// heldEnds is an InlineStore whose attempt-end writes wait for release.
type heldEnds struct {
	*store.Store
	writing chan struct{} // one value per write that started
	release chan struct{}
}

func (h heldEnds) RecordOutcomeFinish(ctx context.Context, o store.Outcome, id int64, end store.JobEnd) error {
	h.writing <- struct{}{}
	<-h.release
	return h.Store.RecordOutcomeFinish(ctx, o, id, end)
}

// TestInlineFreesTheWorkerWhileTheEndIsWritten: an action that has ended
// gives its worker to the next job while its end is written (the write
// waits its turn with intake's); Stop still waits for that write.
func TestInlineFreesTheWorkerWhileTheEndIsWritten(t *testing.T) {
	ctx := context.Background()
	e := newProcessEnv(t, processConfig)
	runner := NewRunner(e.queue, e.live, e.log, NewMetrics(nil), nil)
	held := heldEnds{Store: e.store, writing: make(chan struct{}, 8), release: make(chan struct{})}
	inline := NewInline(runner, held, 1, 30*time.Second, time.Minute, e.log)
	in := NewIntake(e.store, e.p).WithInline(inline)
	// processConfig gives issues.opened one action (rule never).
	for i, id := range []string{"held-1", "held-2"} {
		if _, err := in.Enqueue(ctx, store.Delivery{ID: id, Event: "issues", Payload: readWebhook(t, "issues.opened.json")}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-held.writing:
		case <-time.After(10 * time.Second):
			// The second action needs the one worker, which the first
			// holds until its end is written, were it not given back.
			t.Fatalf("the end of action %d was never written", i+1)
		}
	}
	waitStates(t, e.dsn, "running/1", "running/1")

	stopped := make(chan error, 1)
	go func() { stopped <- inline.Stop(ctx) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned %v before the ends were written", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(held.release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	waitStates(t, e.dsn, "completed/1", "completed/1")
	for _, id := range []string{"held-1", "held-2"} {
		if o, err := e.store.Outcome(ctx, id, "never", 0); err != nil || o.State != store.OutcomeSucceeded {
			t.Errorf("%s: outcome = %+v, %v; want succeeded", id, o, err)
		}
	}
}

// TestInlineGivesBackWhatWaitsTooLong: a claimed job that finds no worker
// free within the wait goes back to River unstarted (available, attempt 0,
// its outcome pending), so that it is never running in the store longer
// than River's rescue window; the job that held the worker is not
// disturbed.
func TestInlineGivesBackWhatWaitsTooLong(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	e := newProcessEnv(t, issuesHTTPRule("slow", srv.URL))
	runner := NewRunner(e.queue, e.live, e.log, NewMetrics(nil), nil)
	inline := NewInline(runner, e.store, 1, 30*time.Second, 50*time.Millisecond, e.log)
	in := NewIntake(e.store, e.p).WithInline(inline)
	for _, id := range []string{"first", "second"} {
		if _, err := in.Enqueue(ctx, store.Delivery{ID: id, Event: "issues", Payload: readWebhook(t, "issues.opened.json")}); err != nil {
			t.Fatal(err)
		}
	}
	// The first holds the one worker; the second waited 50 ms for it.
	waitStates(t, e.dsn, "running/1", "available/0")
	if o, err := e.store.Outcome(ctx, "second", "slow", 0); err != nil || o.State != store.OutcomePending || o.Attempts != 0 {
		t.Errorf("outcome of the job given back = %+v, %v; want pending, no attempts", o, err)
	}
	close(release)
	if err := inline.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitStates(t, e.dsn, "completed/1", "available/0")
}

func TestMaxWait(t *testing.T) {
	tests := map[string]struct {
		rescue, timeout, want time.Duration
	}{
		"defaults":            {time.Minute, 30 * time.Second, 25 * time.Second},
		"timeout near rescue": {time.Minute, 58 * time.Second, 0},
		"long rescue":         {time.Hour, 30 * time.Second, time.Hour - 35*time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := MaxWait(tc.rescue, tc.timeout); got != tc.want {
				t.Errorf("MaxWait(%s, %s) = %s, want %s", tc.rescue, tc.timeout, got, tc.want)
			}
		})
	}
}

// TestInlineEndsWhatFailsForGood: a first attempt that fails for good (an
// HTTP 400) ends its job cancelled, as River's executor would, rather
// than handing it to River to be fetched only to be completed.
func TestInlineEndsWhatFailsForGood(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	e := newProcessEnv(t, issuesHTTPRule("bad", srv.URL))
	inline := NewInline(NewRunner(e.queue, e.live, e.log, NewMetrics(nil), nil), e.store, 1, 30*time.Second, time.Minute, e.log)
	if _, err := NewIntake(e.store, e.p).WithInline(inline).Enqueue(ctx,
		store.Delivery{ID: "bad-1", Event: "issues", Payload: readWebhook(t, "issues.opened.json")}); err != nil {
		t.Fatal(err)
	}
	waitStates(t, e.dsn, "cancelled/1")
	if o, err := e.store.Outcome(ctx, "bad-1", "bad", 0); err != nil || o.State != store.OutcomeFailed || o.Attempts != 1 {
		t.Errorf("outcome = %+v, %v; want failed after 1 attempt", o, err)
	}
	if err := inline.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestInlineStopGivesBackWhatWaits: a Stop whose time runs out cuts the
// running action short (its attempt is recorded, and River runs the job
// again later) and gives the job still waiting for a worker back to River
// unstarted, while the store is still there to take it.
func TestInlineStopGivesBackWhatWaits(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	defer close(release)
	e := newProcessEnv(t, issuesHTTPRule("slow", srv.URL))
	inline := NewInline(NewRunner(e.queue, e.live, e.log, NewMetrics(nil), nil), e.store, 1, 30*time.Second, time.Minute, e.log)
	in := NewIntake(e.store, e.p).WithInline(inline)
	for _, id := range []string{"running", "waiting"} {
		if _, err := in.Enqueue(context.Background(), store.Delivery{ID: id, Event: "issues", Payload: readWebhook(t, "issues.opened.json")}); err != nil {
			t.Fatal(err)
		}
	}
	waitStates(t, e.dsn, "running/1", "running/1")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := inline.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v, want the deadline", err)
	}
	waitStates(t, e.dsn, "scheduled/1", "available/0")
	if o, err := e.store.Outcome(context.Background(), "waiting", "slow", 0); err != nil || o.State != store.OutcomePending || o.Attempts != 0 {
		t.Errorf("outcome of the waiting job = %+v, %v; want pending, no attempts", o, err)
	}
	if o, err := e.store.Outcome(context.Background(), "running", "slow", 0); err != nil || o.Attempts != 1 || o.State == store.OutcomeRunning {
		t.Errorf("outcome of the job cut short = %+v, %v; want its attempt recorded", o, err)
	}
}

// issuesHTTPRule is a config of one rule, name, on issues, whose one
// action POSTs to url.
func issuesHTTPRule(name, url string) string {
	return `
github: {webhook_secret: s}
rules:
  - name: ` + name + `
    on: [issues]
    do:
      - http: {url: "` + url + `", body: '{"a":1}'}
`
}
