package pipeline

import (
	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-dev/switchboard/config"
)

// OtherEvent is the event label of every event name GitHub does not send.
const OtherEvent = "other"

// Metrics counts what the workers do.
type Metrics struct {
	// events are the event label's values besides OtherEvent: the webhook
	// event names go-github knows. The header is the sender's word, so a
	// label taken from it as is would let anyone with the secret (or a
	// stored delivery) make one series per name. Never written after
	// NewMetrics.
	events         map[string]bool
	deliveries     *prometheus.CounterVec
	actions        *prometheus.CounterVec
	actionDuration *prometheus.HistogramVec
	toFirstAction  prometheus.Histogram
}

// NewMetrics registers the pipeline's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		events: map[string]bool{},
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_deliveries_processed_total",
			Help: "Deliveries processed by the rules, by event (a webhook event name GitHub sends, stripe or slack for those sources' events, else \"other\") and status.",
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
		toFirstAction: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_delivery_to_action_seconds",
			Help:    "Time from a delivery's receipt to the start of the first attempt of each of its actions.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}),
	}
	for _, e := range github.MessageTypes() {
		m.events[e] = true
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.actions, m.actionDuration, m.toFirstAction)
	}
	return m
}

// EventLabel is the event label of event: the name itself when GitHub
// sends such events, the source (stripe, slack) for a source's event (its
// types are the sender's word too, and many), else OtherEvent.
func (m *Metrics) EventLabel(event string) string {
	if m.events[event] {
		return event
	}
	if src := config.SourceOf(event); src != config.SourceGitHub {
		return src
	}
	return OtherEvent
}

func (m *Metrics) delivery(event, status string) {
	if m != nil {
		m.deliveries.WithLabelValues(m.EventLabel(event), status).Inc()
	}
}

func (m *Metrics) attempt(kind, outcome string, seconds float64) {
	if m != nil {
		m.actions.WithLabelValues(kind, outcome).Inc()
		m.actionDuration.WithLabelValues(kind).Observe(seconds)
	}
}

func (m *Metrics) firstAttempt(seconds float64) {
	if m != nil {
		m.toFirstAction.Observe(max(0, seconds))
	}
}
