package store

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

func TestWorkerRunsProcessJob(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		ran := make(chan ProcessDeliveryArgs, 1)
		o := db.options(t)
		o.Workers = workersFor(func(ctx context.Context, job *river.Job[ProcessDeliveryArgs]) error {
			ran <- job.Args
			return nil
		})
		s := openStore(t, o)
		events, cancel := s.Subscribe(river.EventKindJobCompleted)
		defer cancel()
		startStore(t, s)

		if _, err := s.Enqueue(context.Background(), Delivery{ID: "d-work", Event: "pull_request", Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		select {
		case args := <-ran:
			if args != (ProcessDeliveryArgs{Delivery: "d-work", Event: "pull_request", Size: 2}) {
				t.Errorf("worker got %+v", args)
			}
		case <-time.After(waitLimit):
			t.Fatal("process job did not run")
		}
		select {
		case ev := <-events:
			if ev.Job.Kind != (ProcessDeliveryArgs{}).Kind() || ev.Job.State != rivertype.JobStateCompleted {
				t.Errorf("event for %s job in state %s", ev.Job.Kind, ev.Job.State)
			}
		case <-time.After(waitLimit):
			t.Fatal("no completion event")
		}
	})
}

func TestSubscribeInsertOnlyIsClosed(t *testing.T) {
	s := openStore(t, newSQLiteDB(t).options(t))
	events, cancel := s.Subscribe(river.EventKindJobCompleted)
	defer cancel()
	if _, open := <-events; open {
		t.Fatal("insert-only store delivered an event")
	}
}

func TestStopLetsRunningJobFinish(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		started := make(chan int64, 1)
		release := make(chan struct{})
		var finished, cancelled atomic.Bool
		o := db.options(t)
		o.Workers = workersFor(func(ctx context.Context, job *river.Job[ProcessDeliveryArgs]) error {
			started <- job.ID
			select {
			case <-release:
				finished.Store(true)
				return nil
			case <-ctx.Done():
				cancelled.Store(true)
				return ctx.Err()
			}
		})
		s := openStore(t, o)
		startStore(t, s)
		if _, err := s.Enqueue(context.Background(), Delivery{ID: "d-slow", Event: "push"}); err != nil {
			t.Fatal(err)
		}
		var jobID int64
		select {
		case jobID = <-started:
		case <-time.After(waitLimit):
			t.Fatal("job did not start")
		}

		type result struct {
			err              error
			finishedAtReturn bool
		}
		stopped := make(chan result, 1)
		stopping := make(chan struct{})
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			close(stopping)
			err := s.Stop(ctx)
			stopped <- result{err, finished.Load()}
		}()
		// Give Stop a chance to return early while the job is still held:
		// it must not.
		<-stopping
		select {
		case res := <-stopped:
			t.Fatalf("Stop returned (%v) while the job was still running", res.err)
		case <-time.After(100 * time.Millisecond):
		}
		close(release)

		var res result
		select {
		case res = <-stopped:
		case <-time.After(2 * waitLimit):
			t.Fatal("Stop did not return")
		}
		if res.err != nil {
			t.Fatalf("Stop: %v", res.err)
		}
		if !res.finishedAtReturn || cancelled.Load() {
			t.Fatalf("Stop returned before the job finished (finished=%v) or cancelled it (%v)", res.finishedAtReturn, cancelled.Load())
		}
		if state := jobState(t, s, jobID); state != rivertype.JobStateCompleted {
			t.Errorf("job state after Stop = %s, want completed", state)
		}
	})
}

func TestStopCancelsAtDeadlineAndJobRunsAfterRestart(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		started := make(chan int64, 1)
		o := db.options(t)
		o.Workers = workersFor(func(ctx context.Context, job *river.Job[ProcessDeliveryArgs]) error {
			started <- job.ID
			<-ctx.Done() // never finishes by itself
			return ctx.Err()
		})
		s := openStore(t, o)
		startStore(t, s)
		if _, err := s.Enqueue(context.Background(), Delivery{ID: "d-stuck", Event: "push"}); err != nil {
			t.Fatal(err)
		}
		var jobID int64
		select {
		case jobID = <-started:
		case <-time.After(waitLimit):
			t.Fatal("job did not start")
		}

		// A deadline already passed: Stop must cancel the job at once and
		// still return once it has.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if state := jobState(t, s, jobID); state == rivertype.JobStateCompleted || state == rivertype.JobStateRunning {
			t.Fatalf("job state after cancelled stop = %s; it must stay queued", state)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		ran := make(chan int64, 1)
		o.Workers = workersFor(func(ctx context.Context, job *river.Job[ProcessDeliveryArgs]) error {
			ran <- job.ID
			return nil
		})
		s2 := openStore(t, o)
		startStore(t, s2)
		select {
		case id := <-ran:
			if id != jobID {
				t.Errorf("after restart job %d ran, want %d", id, jobID)
			}
		case <-time.After(waitLimit):
			t.Fatalf("job %d did not run after restart (state %s)", jobID, jobState(t, s2, jobID))
		}
	})
}

func jobState(t *testing.T, s *Store, id int64) rivertype.JobState {
	t.Helper()
	for _, j := range jobsOfKind(t, s, ProcessDeliveryArgs{}.Kind()) {
		if j.ID == id {
			return j.State
		}
	}
	t.Fatalf("job %d not found", id)
	return ""
}
