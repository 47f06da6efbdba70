package githubapp

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the package's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec
	clients  prometheus.Gauge
}

// newMetrics builds the collectors and registers them on reg when given. A
// second Creator on the same registry (after a config reload) shares the
// collectors already registered rather than failing.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_github_requests_total",
			Help: "GitHub API requests by client (app, installation, token exchange) and HTTP status code (\"error\" when no answer came).",
		}, []string{"client", "code"}),
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_github_installation_clients",
			Help: "Installation clients held in the cache.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.clients, err = register(reg, m.clients); err != nil {
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
	return c, fmt.Errorf("githubapp: register metrics: %w", err)
}
