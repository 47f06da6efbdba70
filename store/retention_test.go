package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestDeleteBeforeInBatches puts five rows of each table just before the
// cut-off, one exactly at it and one after, and deletes with a batch of
// two: every older row goes, over several statements, and nothing at or
// after the cut-off does. Outcomes not in a final state stay whatever their
// age.
func TestDeleteBeforeInBatches(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		s := openStore(t, db.options(t))
		startStore(t, s)
		cutoff := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		type row struct {
			id string
			at time.Time
		}
		var rows []row
		for i := range 5 {
			rows = append(rows, row{fmt.Sprintf("old-%d", i), cutoff.Add(-time.Duration(i+1) * time.Microsecond)})
		}
		rows = append(rows, row{"at-cutoff", cutoff}, row{"new", cutoff.Add(time.Hour)})
		for _, r := range rows {
			if _, err := s.Enqueue(ctx, Delivery{ID: r.id, Event: "push", Payload: []byte(`{}`), ReceivedAt: r.at}); err != nil {
				t.Fatal(err)
			}
			for i, state := range []string{OutcomeSucceeded, OutcomeFailed, OutcomeRetrying} {
				if err := s.RecordOutcome(ctx, Outcome{Delivery: r.id, Rule: "r", Index: i, Kind: "log", State: state, UpdatedAt: r.at}); err != nil {
					t.Fatal(err)
				}
			}
			if ok, _, err := s.ClaimRedelivery(ctx, r.id, 1, r.at, r.at); err != nil || !ok {
				t.Fatalf("claim %s: %v %v", r.id, ok, err)
			}
		}

		tests := []struct {
			name string
			del  func(context.Context, time.Time, int) (int64, error)
			want int64
		}{
			{name: "deliveries", del: s.DeleteDeliveriesBefore, want: 5},
			{name: "outcomes", del: s.DeleteFinishedOutcomesBefore, want: 10},
			{name: "redeliveries", del: s.DeleteRedeliveriesBefore, want: 5},
		}
		for _, tt := range tests {
			n, err := tt.del(ctx, cutoff, 2)
			if err != nil || n != tt.want {
				t.Errorf("%s: deleted %d, %v; want %d", tt.name, n, err, tt.want)
			}
			if n, err := tt.del(ctx, cutoff, 2); err != nil || n != 0 {
				t.Errorf("%s again: deleted %d, %v; want 0", tt.name, n, err)
			}
		}

		for _, r := range rows {
			kept := !r.at.Before(cutoff)
			if has, err := s.HasDelivery(ctx, r.id); err != nil || has != kept {
				t.Errorf("delivery %s stored = %v, %v; want %v", r.id, has, err, kept)
			}
			if _, err := s.Redelivery(ctx, r.id); (err == nil) != kept {
				t.Errorf("redelivery %s: %v, want kept = %v", r.id, err, kept)
			}
			outs, err := s.Outcomes(ctx, r.id)
			if err != nil {
				t.Fatal(err)
			}
			var states []string
			for _, o := range outs {
				states = append(states, o.State)
			}
			want := []string{OutcomeRetrying}
			if kept {
				want = []string{OutcomeSucceeded, OutcomeFailed, OutcomeRetrying}
			}
			if !slices.Equal(states, want) {
				t.Errorf("outcomes of %s = %v, want %v", r.id, states, want)
			}
		}
	})
}

func TestDeleteBeforeStopsWithContext(t *testing.T) {
	s := openStore(t, newSQLiteDB(t).options(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.DeleteDeliveriesBefore(ctx, time.Now(), 2); err == nil {
		t.Fatal("DeleteDeliveriesBefore with a cancelled context succeeded")
	}
}
