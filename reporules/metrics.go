package reporules

import "github.com/prometheus/client_golang/prometheus"

// metrics counts what a Source asks of GitHub and what it refuses.
type metrics struct {
	reads   *prometheus.CounterVec
	refused prometheus.Counter
}

// newMetrics registers a Source's metrics on reg (nil: none are exposed).
func newMetrics(reg prometheus.Registerer, s *Source) *metrics {
	m := &metrics{
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_repo_rules_reads_total",
			Help: "Contents API requests for repositories' .github/switchboard.yml, by answer (ok, not_modified, not_found, error).",
		}, []string{"answer"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_repo_rules_refused_total",
			Help: "Versions of repositories' .github/switchboard.yml refused (parse, policy or template problems).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.reads, m.refused, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_repo_rules_cached_repositories",
			Help: "Repositories whose .github/switchboard.yml is cached.",
		}, func() float64 { return float64(s.Len()) }))
	}
	return m
}
