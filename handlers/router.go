// Package handlers is Switchboard's HTTP surface: webhook intake, health,
// readiness and metrics, on one gorilla/mux router. Intake verifies a delivery,
// hands it to the store and answers only once the store has committed it; it
// knows nothing of rules or actions.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/budget"
	"github.com/switchboard-dev/switchboard/store"
)

// Defaults for Options.
const (
	DefaultWebhookPath     = "/webhook"
	DefaultMaxPayloadBytes = 25 << 20 // GitHub's own cap on a payload
	// DefaultEnqueueTimeout stays under GitHub's 10 s delivery timeout, so a
	// stuck store yields a 503 that GitHub records, not a hung request.
	DefaultEnqueueTimeout = 8 * time.Second
	// DefaultReadyTimeout bounds one readiness probe of the store.
	DefaultReadyTimeout = 2 * time.Second
	// DefaultMaxInflightBodyBytes bounds the request bodies being read or
	// held at once (config: server.max_inflight_body_bytes).
	DefaultMaxInflightBodyBytes = 64 << 20
	// SmallBodyBytes is the size of an ordinary delivery, up to which a body
	// may draw on the share of the budget reserved for such deliveries.
	SmallBodyBytes = 1 << 20
	// DefaultBudgetWait is how long a request waits for room in the budget
	// before it is answered 503: about as long as one large body takes to
	// be read, checked and stored.
	DefaultBudgetWait = time.Second
	// MaxHeaderBytes bounds a request's header block (http.Server's
	// MaxHeaderBytes): GitHub's deliveries send about 1 KiB of headers.
	MaxHeaderBytes = 64 << 10
)

// NewBodyBudget returns the budget for bodies in flight of total bytes, an
// eighth of it reserved for deliveries of at most SmallBodyBytes.
func NewBodyBudget(total int64) *budget.Budget {
	return budget.New(total, ReservedShare(total), SmallBodyBytes)
}

// ReservedShare is the part of a budget of total bytes that only deliveries
// of at most SmallBodyBytes may use: an eighth.
func ReservedShare(total int64) int64 { return total / 8 }

// DeliveryStore is what intake needs of the store (package store
// implements it; serve gives pipeline.Intake, which decides the delivery
// first when it can).
type DeliveryStore interface {
	// Enqueue commits the delivery and the job that processes it (or what
	// processing it decided), in one transaction. duplicate is true when a delivery with the same ID was
	// already stored; nothing is enqueued again then.
	Enqueue(ctx context.Context, d store.Delivery) (duplicate bool, err error)
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}

// Options configures NewRouter. Zero fields take the defaults noted.
type Options struct {
	WebhookPath     string // default /webhook
	MaxPayloadBytes int64  // default 25 MiB
	// Secrets returns the current webhook secrets; it is a func so that a
	// config reload can swap them. Every one is tried on each delivery.
	// NewRouter refuses to build when it yields none or an empty one.
	Secrets func() []string
	Logger  *logrus.Entry // default: logrus's standard logger
	// Registry is served on /metrics, and intake registers its metrics on
	// it. Default: a new, empty registry.
	Registry *prometheus.Registry
	Now      func() time.Time // injectable clock; default time.Now

	// Bodies bounds the bytes of request bodies read or held at once, across
	// all requests; default NewBodyBudget(DefaultMaxInflightBodyBytes). Its
	// general share must hold a body of MaxPayloadBytes.
	Bodies *budget.Budget
	// BudgetWait is how long a request waits for room in Bodies before it
	// is answered 503; default DefaultBudgetWait.
	BudgetWait time.Duration

	// Sources looks up the Stripe and Slack endpoints served at
	// /webhooks/<kind>/<name> (sources.go); nil: none, every such path 404.
	Sources SourceLookup

	EnqueueTimeout time.Duration // bound on one store write; default 8s
	ReadyTimeout   time.Duration // bound on one /readyz store ping; default 2s
}

// NewRouter builds the HTTP router: the webhook path (POST), GET /healthz,
// GET /readyz and GET /metrics.
func NewRouter(o Options, st DeliveryStore) (*mux.Router, error) {
	if st == nil {
		return nil, errors.New("handlers: no delivery store")
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(o.Registry, o.Bodies)
	if err != nil {
		return nil, fmt.Errorf("handlers: registering metrics: %w", err)
	}
	in := &intake{
		limit:          o.MaxPayloadBytes,
		bodies:         o.Bodies,
		budgetWait:     o.BudgetWait,
		secrets:        o.Secrets,
		log:            o.Logger,
		store:          st,
		now:            o.Now,
		enqueueTimeout: o.EnqueueTimeout,
		metrics:        m,
	}

	r := mux.NewRouter()
	// Every method reaches intake so that it answers 405 itself, with Allow
	// and a JSON body, as the first of its checks.
	r.Handle(o.WebhookPath, in)
	if err := mountSources(r, in, o.Sources, o.Registry); err != nil {
		return nil, err
	}
	r.Handle("/healthz", onlyGet(http.HandlerFunc(healthz)))
	r.Handle("/readyz", onlyGet(readyz(st, o.ReadyTimeout, o.Logger)))
	r.Handle("/metrics", onlyGet(promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{})))
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	return r, nil
}

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.WebhookPath == "" {
		o.WebhookPath = DefaultWebhookPath
	}
	// mux reads braces as path variables; a webhook path has none.
	if !strings.HasPrefix(o.WebhookPath, "/") || strings.ContainsAny(o.WebhookPath, "{}?# ") {
		return o, fmt.Errorf("handlers: webhook path %q must be an absolute path without {}, ?, # or spaces", o.WebhookPath)
	}
	switch o.WebhookPath {
	case "/healthz", "/readyz", "/metrics":
		return o, fmt.Errorf("handlers: webhook path %q is taken by another endpoint", o.WebhookPath)
	}
	if o.MaxPayloadBytes == 0 {
		o.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	if o.MaxPayloadBytes < 0 {
		return o, errors.New("handlers: max payload bytes must be positive")
	}
	if o.Secrets == nil {
		return o, errors.New("handlers: no webhook secret configured")
	}
	secrets := o.Secrets()
	if len(secrets) == 0 {
		return o, errors.New("handlers: no webhook secret configured")
	}
	for i, s := range secrets {
		if s == "" {
			// An empty HMAC key is known to anyone: refuse it.
			return o, fmt.Errorf("handlers: webhook secret %d of %d is empty", i+1, len(secrets))
		}
	}
	if o.Bodies == nil {
		o.Bodies = NewBodyBudget(DefaultMaxInflightBodyBytes)
	}
	if o.Bodies.General() < o.MaxPayloadBytes {
		return o, fmt.Errorf("handlers: the budget for bodies in flight (%d bytes, %d for large ones) cannot hold one body of the payload limit (%d bytes)",
			o.Bodies.Total(), o.Bodies.General(), o.MaxPayloadBytes)
	}
	if o.BudgetWait <= 0 {
		o.BudgetWait = DefaultBudgetWait
	}
	if o.Logger == nil {
		o.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.EnqueueTimeout <= 0 {
		o.EnqueueTimeout = DefaultEnqueueTimeout
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = DefaultReadyTimeout
	}
	return o, nil
}

// onlyGet answers 405 with Allow for anything but GET and HEAD.
func onlyGet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// healthz says the process is up; it checks nothing else.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, statusReply{Status: "ok"})
}

// readyz says whether the store answers within timeout.
func readyz(st DeliveryStore, timeout time.Duration, log *logrus.Entry) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			log.WithError(err).Warn("readiness: store unreachable")
			writeError(w, http.StatusServiceUnavailable, "store unavailable")
			return
		}
		writeJSON(w, http.StatusOK, statusReply{Status: "ok"})
	})
}
