package store

import (
	"context"
	"testing"
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
			_, err := st.EnqueueClaimed(ctx, d, tc.p, func(c []ClaimedJob) { calls++; claimed = len(c) })
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
