package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-dev/switchboard/budget"
)

// metrics are intake's Prometheus series.
type metrics struct {
	requests *prometheus.CounterVec
	// known holds the counters of the statuses intake answers with, made at
	// start so that their series exist at 0 and the hot path skips a lookup.
	// It is never written after newMetrics.
	known    map[int]prometheus.Counter
	duration prometheus.Histogram
	payload  prometheus.Histogram
}

// newMetrics registers intake's metrics on reg. When they are already there
// (a second router on the same registry, as after a config reload) the
// registered ones are reused, so counts carry on.
func newMetrics(reg prometheus.Registerer, bodies *budget.Budget) (*metrics, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_webhook_requests_total",
		Help: "Webhook requests answered, by HTTP status code.",
	}, []string{"status"})
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "switchboard_webhook_request_duration_seconds",
		Help:    "Time from the start of a webhook request to its answer, store commit included.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	payload := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "switchboard_webhook_payload_bytes",
		Help: "Size of webhook request bodies read in full (bodies over the limit are not observed).",
		// 256 B to 64 MiB, by fours.
		Buckets: prometheus.ExponentialBuckets(256, 4, 10),
	})
	var err error
	if requests, err = register(reg, requests); err != nil {
		return nil, err
	}
	if duration, err = register(reg, duration); err != nil {
		return nil, err
	}
	if payload, err = register(reg, payload); err != nil {
		return nil, err
	}
	// The gauge reads the budget of the router that registered it first;
	// a reload keeps the budget, which is made once per process.
	inflight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "switchboard_webhook_inflight_body_bytes",
		Help: "Bytes of request bodies being read or held, and of stored payloads being processed: the use of server.max_inflight_body_bytes.",
	}, func() float64 {
		general, reserved := bodies.InUse()
		return float64(general + reserved)
	})
	if _, err = register(reg, inflight); err != nil {
		return nil, err
	}
	m := &metrics{requests: requests, duration: duration, payload: payload, known: map[int]prometheus.Counter{}}
	// Every status intake answers with.
	for _, code := range []int{
		http.StatusOK, http.StatusAccepted, http.StatusBadRequest, http.StatusUnauthorized,
		http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge,
		http.StatusUnsupportedMediaType, http.StatusServiceUnavailable,
	} {
		m.known[code] = requests.WithLabelValues(strconv.Itoa(code))
	}
	return m, nil
}

// register registers c, or returns the collector already registered in its
// place.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// observe records one answered request.
func (m *metrics) observe(status int, took time.Duration) {
	if c, ok := m.known[status]; ok {
		c.Inc()
	} else {
		m.requests.WithLabelValues(strconv.Itoa(status)).Inc()
	}
	m.duration.Observe(took.Seconds())
}
