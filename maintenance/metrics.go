package maintenance

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what the catch-up and the retention do.
type Metrics struct {
	passes       *prometheus.CounterVec
	seen         prometheus.Counter
	redeliveries *prometheus.CounterVec
	lastSuccess  prometheus.Gauge
	deleted      *prometheus.CounterVec
}

// NewMetrics makes the metrics and registers them on reg when it is not
// nil. Collectors already registered there (a second server in one
// process, as tests run) are shared rather than refused.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_catchup_passes_total",
			Help: "Catch-up passes over GitHub's delivery log, by result (ok, incomplete, error).",
		}, []string{"result"}),
		seen: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_catchup_deliveries_seen_total",
			Help: "Delivery-log entries (attempts) the catch-up examined.",
		}),
		redeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_catchup_redeliveries_total",
			Help: "Redeliveries the catch-up asked GitHub for, by result (accepted, refused, error).",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_catchup_last_success_timestamp_seconds",
			Help: "When the last complete catch-up pass ended (Unix seconds).",
		}),
		deleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_retention_deleted_total",
			Help: "Rows deleted by retention, by table.",
		}, []string{"table"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.passes, err = register(reg, m.passes); err != nil {
		return nil, err
	}
	if m.seen, err = register(reg, m.seen); err != nil {
		return nil, err
	}
	if m.redeliveries, err = register(reg, m.redeliveries); err != nil {
		return nil, err
	}
	if m.lastSuccess, err = register(reg, m.lastSuccess); err != nil {
		return nil, err
	}
	if m.deleted, err = register(reg, m.deleted); err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("maintenance: register metrics: %w", err)
}
