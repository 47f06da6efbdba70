package store

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	batchSize     prometheus.Histogram
	commitSeconds prometheus.Histogram
	enqueueErrors prometheus.Counter
	queue         *queueCollector
}

// newMetrics makes the store's metrics, not yet registered.
func newMetrics() *metrics {
	return &metrics{
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
		queue: newQueueCollector(),
	}
}

// register registers the metrics on reg, if it is not nil.
func (m *metrics) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	for i, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			for _, done := range m.collectors()[:i] {
				reg.Unregister(done)
			}
			return fmt.Errorf("store: register metrics: %w", err)
		}
	}
	return nil
}

// unregister undoes register, so that a store opened again after Close can
// register on the same registry.
func (m *metrics) unregister(reg prometheus.Registerer) {
	if reg == nil {
		return
	}
	for _, c := range m.collectors() {
		reg.Unregister(c)
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.batchSize, m.commitSeconds, m.enqueueErrors, m.queue}
}
