package maintenance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-dev/switchboard/maintenance"
	"github.com/switchboard-dev/switchboard/store"
)

// TestRetentionDeletesOnlyOlder puts, in each table, five rows older than
// the retention by a microsecond or more, one exactly at it and one newer,
// and runs the retention with a batch of two: the five go, the others stay.
func TestRetentionDeletesOnlyOlder(t *testing.T) {
	eachDriver(t, func(t *testing.T, so store.Options) {
		ctx := context.Background()
		st := openStore(t, so)
		now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
		const retention = 168 * time.Hour
		cutoff := now.Add(-retention)
		redeliveryCutoff := now.Add(-maintenance.DefaultRedeliveryRetention)

		type row struct {
			id   string
			kept bool
		}
		var rows []row
		at := map[string]time.Time{}
		redeliveryAt := map[string]time.Time{}
		add := func(id string, offset time.Duration, kept bool) {
			rows = append(rows, row{id, kept})
			at[id], redeliveryAt[id] = cutoff.Add(offset), redeliveryCutoff.Add(offset)
		}
		for i := range 5 {
			add(fmt.Sprintf("old-%d", i), -time.Duration(i+1)*time.Microsecond-time.Duration(i)*time.Hour, false)
		}
		add("at-cutoff", 0, true)
		add("newer", time.Microsecond, true)
		for _, r := range rows {
			if _, err := st.Enqueue(ctx, store.Delivery{ID: r.id, Event: "push", Payload: []byte(`{}`), ReceivedAt: at[r.id]}); err != nil {
				t.Fatal(err)
			}
			for i, state := range []string{store.OutcomeSucceeded, store.OutcomeFailed, store.OutcomeRunning} {
				o := store.Outcome{Delivery: r.id, Rule: "r", Index: i, Kind: "log", State: state, UpdatedAt: at[r.id]}
				if err := st.RecordOutcome(ctx, o); err != nil {
					t.Fatal(err)
				}
			}
			if ok, _, err := st.ClaimRedelivery(ctx, r.id, 1, redeliveryAt[r.id], redeliveryAt[r.id]); err != nil || !ok {
				t.Fatalf("claim %s: %v %v", r.id, ok, err)
			}
		}

		reg := prometheus.NewRegistry()
		metrics, err := maintenance.NewMetrics(reg)
		if err != nil {
			t.Fatal(err)
		}
		logger, logs := capture()
		ret, err := maintenance.NewRetention(maintenance.RetentionOptions{
			Store: st, Retention: retention, BatchSize: 2, Logger: logger, Metrics: metrics,
			Now: func() time.Time { return now },
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := ret.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := maintenance.RetentionResult{
			maintenance.TableDeliveries: 5, maintenance.TableOutcomes: 10, maintenance.TableRedeliveries: 5,
		}
		for table, n := range want {
			if res[table] != n {
				t.Errorf("%s: deleted %d, want %d", table, res[table], n)
			}
			if got := metricValue(t, reg, "switchboard_retention_deleted_total", map[string]string{"table": table}); got != float64(n) {
				t.Errorf("deleted metric for %s = %v, want %d", table, got, n)
			}
		}
		if e := logs.LastEntry(); e == nil || e.Data["deliveries"] != int64(5) {
			t.Errorf("retention log line = %+v", e)
		}

		for _, r := range rows {
			if has, err := st.HasDelivery(ctx, r.id); err != nil || has != r.kept {
				t.Errorf("delivery %s kept = %v, %v; want %v", r.id, has, err, r.kept)
			}
			if _, err := st.Redelivery(ctx, r.id); (err == nil) != r.kept {
				t.Errorf("redelivery %s: %v; want kept = %v", r.id, err, r.kept)
			}
			outs, err := st.Outcomes(ctx, r.id)
			if err != nil {
				t.Fatal(err)
			}
			wantN := 1 // the running one stays whatever its age
			if r.kept {
				wantN = 3
			}
			if len(outs) != wantN {
				t.Errorf("outcomes of %s: %d left, want %d", r.id, len(outs), wantN)
			}
		}

		// Nothing left to delete: a second run deletes nothing.
		res, err = ret.Run(ctx)
		if err != nil || res[maintenance.TableDeliveries]+res[maintenance.TableOutcomes]+res[maintenance.TableRedeliveries] != 0 {
			t.Errorf("second run = %v, %v; want nothing deleted", res, err)
		}
	})
}

func TestNewRetentionNeedsRetention(t *testing.T) {
	tests := []struct {
		name string
		o    maintenance.RetentionOptions
	}{
		{name: "no store", o: maintenance.RetentionOptions{Retention: time.Hour}},
		{name: "zero retention", o: maintenance.RetentionOptions{Store: &store.Store{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := maintenance.NewRetention(tt.o); err == nil {
				t.Fatal("NewRetention accepted it")
			}
		})
	}
}
