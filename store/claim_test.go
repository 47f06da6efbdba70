package store

import (
	"context"
	"errors"
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
