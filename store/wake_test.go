package store

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

// blockingListener is an inner listener whose poll finds nothing until
// told: it answers what is sent on found, or the context's error.
type blockingListener struct {
	riverdriver.Listener
	found   chan *riverdriver.Notification
	waiting atomic.Int32 // waits in progress; never more than one
	overlap atomic.Bool
}

func (l *blockingListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	if l.waiting.Add(1) > 1 {
		l.overlap.Store(true)
	}
	defer l.waiting.Add(-1)
	select {
	case n := <-l.found:
		return n, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestWakeListener(t *testing.T) {
	inner := &blockingListener{found: make(chan *riverdriver.Notification, 1)}
	wake := make(chan struct{}, 1)
	l := &wakeListener{Listener: inner, wake: wake}
	ctx := context.Background()

	wait := func() (*riverdriver.Notification, error) {
		type res struct {
			n   *riverdriver.Notification
			err error
		}
		done := make(chan res, 1)
		go func() { n, err := l.WaitForNotification(ctx); done <- res{n, err} }()
		select {
		case r := <-done:
			return r.n, r.err
		case <-time.After(waitLimit):
			t.Fatal("WaitForNotification did not return")
			return nil, nil
		}
	}

	// A wake while the table's poll finds nothing: an insert notification.
	wake <- struct{}{}
	if n, err := wait(); err != nil || *n != insertNotification {
		t.Fatalf("after a wake: %+v, %v", n, err)
	}

	// A notification from the table comes through as it is.
	control := &riverdriver.Notification{Topic: "river_control", Payload: `{"action":"pause","queue":"default"}`}
	inner.found <- control
	if n, err := wait(); err != nil || n != control {
		t.Fatalf("from the table: %+v, %v", n, err)
	}

	// A wake arriving while the poll waits cancels the poll first.
	done := make(chan *riverdriver.Notification, 1)
	go func() { n, _ := l.WaitForNotification(ctx); done <- n }()
	for deadline := time.Now().Add(waitLimit); inner.waiting.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the poll never started")
		}
	}
	wake <- struct{}{}
	select {
	case n := <-done:
		if *n != insertNotification {
			t.Fatalf("woken while polling: %+v", n)
		}
	case <-time.After(waitLimit):
		t.Fatal("a wake did not end the poll")
	}
	if inner.overlap.Load() {
		t.Error("two polls of the inner listener at once")
	}

	// The caller's context ends the wait with its error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.WaitForNotification(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
}

// The driver is woken after a commit that queued jobs, not after one that
// queued none, nor before the commit.
func TestWakeAfterCommitThatQueued(t *testing.T) {
	s := openStore(t, newSQLiteDB(t).options(t))
	rq := s.q.(*riverQueue[*sql.Tx])
	var wakes atomic.Int32
	rq.queued = func() { wakes.Add(1) }
	startStore(t, s)

	if _, err := s.Enqueue(context.Background(), Delivery{ID: "d-wake", Event: "push", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if got := wakes.Load(); got != 1 {
		t.Fatalf("wakes after an enqueue: %d, want 1", got)
	}
	if err := s.RecordOutcome(context.Background(), Outcome{Delivery: "d-wake", Rule: "r", Index: 0, Kind: "log", State: OutcomeSucceeded, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	if got := wakes.Load(); got != 1 {
		t.Errorf("wakes after a transaction that queued nothing: %d, want 1", got)
	}
	err := s.q.inTx(context.Background(), false, func(ctx context.Context, _ querier, jobs txJobs) error {
		if _, err := jobs.insertFast(ctx, []river.InsertManyParams{{Args: ProcessDeliveryArgs{Delivery: "d-gone", Event: "push"}}}); err != nil {
			return err
		}
		return errors.New("rolled back")
	})
	if err == nil || wakes.Load() != 1 {
		t.Errorf("a rolled-back transaction: %v, wakes %d", err, wakes.Load())
	}
}
