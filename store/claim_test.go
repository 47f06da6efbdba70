package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// TestEnqueueClaimedHandsOffOnceWhenRefused: however EnqueueClaimed
// fails before its transaction, the handoff is called exactly once, with
// nothing, so that the caller gets back the places it reserved.
func TestEnqueueClaimedHandsOffOnceWhenRefused(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, newSQLiteDB(t).options(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := Delivery{ID: "claim-1", Event: "push", Payload: []byte(`{}`)}
	tests := map[string]struct {
		p       Processing
		wantErr string
	}{
		"processing of another delivery": {p: Processing{Delivery: "other"}, wantErr: "store: the processing is not the delivery's"},
		"store not started":              {p: Processing{Delivery: "claim-1"}, wantErr: "store: unavailable: enqueue: store is not running"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			calls, claimed := 0, -1
			_, err := st.EnqueueClaimed(ctx, d, tc.p, func(stored bool, c []ClaimedJob) { calls++; claimed = len(c) })
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
			if calls != 1 || claimed != 0 {
				t.Errorf("handoff called %d times with %d jobs; want once with none", calls, claimed)
			}
		})
	}
	if _, err := st.EnqueueClaimed(ctx, d, Processing{Delivery: "claim-1"}, nil); err == nil || err.Error() != "store: EnqueueClaimed needs a handoff" {
		t.Errorf("no handoff: %v", err)
	}
}

// TestHandoffToldStoredWhenCallerLeft: a caller whose ctx ends while its
// batch commits gets ctx's error, but the delivery is stored, and the
// handoff (where the caller counts it) says so.
func TestHandoffToldStoredWhenCallerLeft(t *testing.T) {
	st := openStore(t, newSQLiteDB(t).options(t))
	startStore(t, st)
	d := Delivery{ID: "left-1", Event: "push", Payload: []byte(`{}`)}
	type told struct {
		stored bool
		jobs   int
	}
	got := make(chan told, 1)
	st.turn.Lock() // the writer takes the batch, then waits here for its turn
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := st.EnqueueDecided(ctx, d, Processing{Delivery: d.ID}, func(stored bool, c []ClaimedJob) { got <- told{stored, len(c)} })
		errc <- err
	}()
	for batches(t, st) == 0 {
		time.Sleep(time.Millisecond) // until the writer has the request in a batch
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("EnqueueDecided = %v, want context.Canceled", err)
	}
	st.turn.Unlock()
	if tl := <-got; !tl.stored || tl.jobs != 0 {
		t.Errorf("handoff told stored=%v with %d jobs, want stored with none", tl.stored, tl.jobs)
	}
	if ok, err := st.HasDelivery(context.Background(), d.ID); err != nil || !ok {
		t.Errorf("HasDelivery = %v, %v; want stored", ok, err)
	}
	// The redelivery GitHub sends after the error is a duplicate, told so.
	_, err := st.EnqueueDecided(context.Background(), d, Processing{Delivery: d.ID}, func(stored bool, c []ClaimedJob) { got <- told{stored, len(c)} })
	if tl := <-got; err != nil || tl.stored {
		t.Errorf("redelivery: err %v, told stored=%v; want a duplicate, not stored", err, tl.stored)
	}
}

// batches is how many batches the intake writer has taken.
func batches(t *testing.T, st *Store) uint64 {
	t.Helper()
	var m dto.Metric
	if err := st.metrics.batchSize.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// claimTwo stores delivery id with two actions through EnqueueClaimed and
// returns the jobs its handoff got.
func claimTwo(t *testing.T, s *Store, id string) []ClaimedJob {
	t.Helper()
	var got []ClaimedJob
	calls := 0
	p := Processing{Delivery: id, Status: ProcessedOK, Actions: []QueuedAction{histAction(id, "r", 0), histAction(id, "r", 1)}}
	_, err := s.EnqueueClaimed(context.Background(), Delivery{ID: id, Event: "push", Payload: []byte(`{}`)}, p,
		func(stored bool, c []ClaimedJob) { calls++; got = c })
	if err != nil || calls != 1 || len(got) != 2 {
		t.Fatalf("EnqueueClaimed: %v; handoff called %d times with %d jobs", err, calls, len(got))
	}
	return got
}

// jobStates is "state/attempt" of each hist_action job, by ID.
func jobStates(t *testing.T, s *Store) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	for _, j := range jobsOfKind(t, s, histArgs{}.Kind()) {
		out[j.ID] = string(j.State) + "/" + strconv.Itoa(j.Attempt)
	}
	return out
}

// TestClaimedJobsEnd: claimed jobs are running, attempt 1, with their
// outcomes; each end (completed, cancelled for good, released unstarted)
// changes the job and writes the outcome in one write; an end for a job
// no longer running writes nothing and says ErrNotClaimed.
func TestClaimedJobsEnd(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := historyStore(t, db)
		ctx := context.Background()
		c := claimTwo(t, s, "claim-end")
		a, b := c[0].ID, c[1].ID
		if got := jobStates(t, s); got[a] != "running/1" || got[b] != "running/1" {
			t.Fatalf("claimed jobs = %v, want running/1", got)
		}
		if o, err := s.Outcome(ctx, "claim-end", "r", 0); err != nil || o.State != OutcomeRunning || o.Attempts != 1 {
			t.Fatalf("claimed outcome = %+v, %v; want running, attempt 1", o, err)
		}

		done := Outcome{Delivery: "claim-end", Rule: "r", Index: 1, Kind: "log", State: OutcomeSucceeded, Attempts: 1}
		if err := s.RecordOutcomeFinish(ctx, done, b, JobEnd{Completed: true}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishClaimed(ctx, a, JobEnd{Cancelled: true}); err != nil {
			t.Fatal(err)
		}
		if got := jobStates(t, s); got[a] != "cancelled/1" || got[b] != "completed/1" {
			t.Fatalf("ended jobs = %v, want cancelled/1 and completed/1", got)
		}

		// Neither job runs here any more: nothing more is written.
		pending := Outcome{Delivery: "claim-end", Rule: "r", Index: 1, Kind: "log", State: OutcomePending}
		if err := s.ReleaseClaimed(ctx, pending, b); !errors.Is(err, ErrNotClaimed) {
			t.Errorf("ReleaseClaimed of a completed job = %v, want ErrNotClaimed", err)
		}
		if err := s.FinishClaimed(ctx, a, JobEnd{RunAt: time.Now()}); !errors.Is(err, ErrNotClaimed) {
			t.Errorf("FinishClaimed of a cancelled job = %v, want ErrNotClaimed", err)
		}
		if o, err := s.Outcome(ctx, "claim-end", "r", 1); err != nil || o.State != OutcomeSucceeded {
			t.Errorf("outcome after a refused release = %+v, %v; want succeeded, untouched", o, err)
		}
		if got := jobStates(t, s); got[a] != "cancelled/1" || got[b] != "completed/1" {
			t.Errorf("jobs after refused ends = %v", got)
		}

		// Released unstarted: available, the claim's attempt undone.
		c = claimTwo(t, s, "claim-release")
		if err := s.ReleaseClaimed(ctx, Outcome{Delivery: "claim-release", Rule: "r", Index: 0, Kind: "log", State: OutcomePending}, c[0].ID); err != nil {
			t.Fatal(err)
		}
		if got := jobStates(t, s)[c[0].ID]; got != "available/0" {
			t.Errorf("released job = %s, want available/0", got)
		}
		if o, err := s.Outcome(ctx, "claim-release", "r", 0); err != nil || o.State != OutcomePending || o.Attempts != 0 {
			t.Errorf("released outcome = %+v, %v; want pending, no attempts", o, err)
		}
	})
}

// TestEnqueueClaimedFailsWhole: a statement of the batch failing (here
// the job insert) stores nothing of the delivery, tells the handoff once
// that nothing was stored, and answers ErrUnavailable; the redelivery
// then stores it.
func TestEnqueueClaimedFailsWhole(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := historyStore(t, db)
		ctx := context.Background()
		undo := failJobInserts(t, s, db.driver)
		calls, stored, claimed := 0, false, 0
		p := Processing{Delivery: "fail-1", Status: ProcessedOK, Actions: []QueuedAction{histAction("fail-1", "r", 0)}}
		_, err := s.EnqueueClaimed(ctx, Delivery{ID: "fail-1", Event: "push", Payload: []byte(`{}`)}, p,
			func(ok bool, c []ClaimedJob) { calls++; stored = ok; claimed = len(c) })
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "injected failure") {
			t.Errorf("EnqueueClaimed = %v, want ErrUnavailable with the injected failure", err)
		}
		if calls != 1 || stored || claimed != 0 {
			t.Errorf("handoff called %d times, stored=%v, %d jobs; want once, not stored, none", calls, stored, claimed)
		}
		if ok, err := s.HasDelivery(ctx, "fail-1"); err != nil || ok {
			t.Errorf("HasDelivery = %v, %v; want not stored", ok, err)
		}
		if _, err := s.Outcome(ctx, "fail-1", "r", 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("outcome of a failed batch: %v, want ErrNotFound", err)
		}
		undo()
		if c := claimTwo(t, s, "fail-1"); len(c) != 2 {
			t.Errorf("redelivery claimed %d jobs", len(c))
		}
	})
}
