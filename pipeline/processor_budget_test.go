package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-dev/switchboard/budget"
	"github.com/switchboard-dev/switchboard/store"
)

// The processor holds room in the memory budget while it loads and decodes
// a payload: with the budget's large share taken by others it waits, loads
// nothing and returns the context's error (River tries the job again); with
// room it processes the delivery and gives it all back. What it holds is
// ViewCost × the size, at most the large share.
func TestProcessorWaitsForTheBudget(t *testing.T) {
	push, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "push.branch.json"))
	if err != nil {
		t.Fatal(err)
	}
	const mib = 1 << 20
	bodies := budget.New(64*mib, 8*mib, mib)
	e := newProcessEnv(t, statusConfig)
	e.p.WithBudget(bodies)
	ctx := context.Background()
	if _, err := e.store.Enqueue(ctx, store.Delivery{ID: "b-1", Event: "push", Payload: push, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	job := &river.Job[store.ProcessDeliveryArgs]{
		JobRow: &rivertype.JobRow{ID: 1, Attempt: 1},
		// A size over the small share: it needs the large one.
		Args: store.ProcessDeliveryArgs{Delivery: "b-1", Event: "push", Size: 2 * mib},
	}

	flood, err := bodies.Acquire(ctx, bodies.General())
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	err = e.p.Work(wctx, job)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Work with no room = %v, want to wait until its context ends", err)
	}
	if n := e.queue.Inserted(); n != 0 {
		t.Errorf("%d actions queued while waiting, want none", n)
	}
	flood.Release()

	if err := e.p.Work(ctx, job); err != nil {
		t.Fatalf("Work with room: %v", err)
	}
	if n := e.queue.Inserted(); n != 2 {
		t.Errorf("%d actions queued, want 2", n)
	}
	if g, r := bodies.InUse(); g != 0 || r != 0 {
		t.Errorf("%d+%d bytes still held after Work", g, r)
	}

	for size, want := range map[int64]int64{2 * mib: ViewCost * 2 * mib, 40 * mib: bodies.General()} {
		g, err := e.p.hold(ctx, size)
		if err != nil {
			t.Fatal(err)
		}
		if g.Size() != want {
			t.Errorf("hold(%d) holds %d, want %d", size, g.Size(), want)
		}
		g.Release()
	}
	if g, err := e.p.hold(ctx, 0); g != nil || err != nil {
		t.Errorf("hold(0) = %v, %v; want nothing held (size unknown)", g, err)
	}
}
