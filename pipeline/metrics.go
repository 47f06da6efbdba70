package pipeline

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what the workers do.
type Metrics struct {
	deliveries     *prometheus.CounterVec
	actions        *prometheus.CounterVec
	actionDuration *prometheus.HistogramVec
}

// NewMetrics registers the pipeline's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_deliveries_processed_total",
			Help: "Deliveries processed by the rules, by event and status.",
		}, []string{"event", "status"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_action_attempts_total",
			Help: "Action attempts, by kind and outcome (succeeded, retrying, failed).",
		}, []string{"kind", "outcome"}),
		actionDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_action_duration_seconds",
			Help:    "Time one action attempt took, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}, []string{"kind"}),
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.actions, m.actionDuration)
	}
	return m
}

func (m *Metrics) delivery(event, status string) {
	if m != nil {
		m.deliveries.WithLabelValues(event, status).Inc()
	}
}

func (m *Metrics) attempt(kind, outcome string, seconds float64) {
	if m != nil {
		m.actions.WithLabelValues(kind, outcome).Inc()
		m.actionDuration.WithLabelValues(kind).Observe(seconds)
	}
}
