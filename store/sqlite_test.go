package store

import (
	"context"
	"testing"
)

// TestSQLiteDurableTransactions checks the synchronous level each kind of
// transaction commits with: FULL (2) for durable ones, NORMAL (1) for the
// rest, and NORMAL again once a durable one is over.
func TestSQLiteDurableTransactions(t *testing.T) {
	s := openStore(t, newSQLiteDB(t).options(t))
	ctx := context.Background()
	level := func(q querier) int {
		var n int
		if err := q.queryRow(ctx, `PRAGMA synchronous`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tests := []struct {
		name    string
		durable bool
		want    int
	}{
		{name: "durable", durable: true, want: 2},
		{name: "ordinary", durable: false, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.q.inTx(ctx, tt.durable, func(ctx context.Context, tx querier, _ txJobs) error {
				if got := level(tx); got != tt.want {
					t.Errorf("synchronous inside = %d, want %d", got, tt.want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := level(s.q.pool()); got != 1 {
				t.Errorf("synchronous after = %d, want 1 (NORMAL)", got)
			}
		})
	}
	var mode string
	if err := s.q.pool().queryRow(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}
