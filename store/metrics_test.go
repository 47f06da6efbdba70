package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	db := newSQLiteDB(t)
	o := db.options(t)
	o.Registerer = reg
	s := openStore(t, o)
	startStore(t, s)
	for i := range 3 {
		if _, err := s.Enqueue(context.Background(), Delivery{ID: fmt.Sprint("m", i), Event: "push"}); err != nil {
			t.Fatal(err)
		}
	}

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		switch {
		case m.GetHistogram() != nil:
			got[f.GetName()+"_sum"] = m.GetHistogram().GetSampleSum()
		case m.GetCounter() != nil:
			got[f.GetName()] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"switchboard_store_enqueue_batch_size_sum": 3, // every delivery in some batch
		"switchboard_store_enqueue_errors_total":   0,
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v (gathered %v)", name, got[name], v, got)
		}
	}
	if _, ok := got["switchboard_store_enqueue_batch_duration_seconds_sum"]; !ok {
		t.Errorf("batch duration histogram missing: %v", got)
	}

	// Close unregisters, so the same registry serves a store opened again.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	openStore(t, o)
}
