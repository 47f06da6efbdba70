package store

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	batchSize     prometheus.Histogram
	commitSeconds prometheus.Histogram
	enqueueErrors prometheus.Counter
}

// newMetrics makes the store's metrics and registers them on reg when it is
// not nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_store_enqueue_batch_size",
			Help:    "Deliveries committed per batch transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_store_enqueue_batch_duration_seconds",
			Help:    "Time to write and commit one batch of deliveries.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		enqueueErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_store_enqueue_errors_total",
			Help: "Deliveries that could not be stored (the store was unavailable).",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.batchSize, m.commitSeconds, m.enqueueErrors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("store: register metrics: %w", err)
		}
	}
	return m, nil
}
