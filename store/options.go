package store

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/logfield"
)

// Driver names accepted in Options.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Defaults applied by Open to zero Options fields.
const (
	DefaultMaxWorkers   = 20
	DefaultJobTimeout   = 30 * time.Second
	DefaultRescueAfter  = time.Minute
	DefaultBatchMaxWait = time.Millisecond
	DefaultBatchMaxSize = 64

	// River's default FetchCooldown (100 ms) lets 20 workers complete only
	// about 200 jobs/s on SQLite; 1 ms reaches about 1,700/s (DESIGN.md,
	// "River on SQLite"). SQLite has no LISTEN/NOTIFY: riversqlite polls its
	// notification table every 50 ms, and the poll interval is the fallback.
	defaultSQLiteFetchCooldown     = time.Millisecond
	defaultSQLiteFetchPollInterval = 50 * time.Millisecond
	// Postgres wakes producers with LISTEN/NOTIFY; a short cooldown keeps
	// throughput up without hammering the database from many replicas.
	defaultPostgresFetchCooldown     = 10 * time.Millisecond
	defaultPostgresFetchPollInterval = time.Second

	// maxBatchSize bounds BatchMaxSize: SQLite caps the rows of one VALUES
	// list, and one batch is one statement.
	maxBatchSize = 500
)

// Options configures a Store.
type Options struct {
	Driver string // DriverSQLite or DriverPostgres
	DSN    string // sqlite: a file path; postgres: a URL or key=value string. Never logged.
	// Schema is the Postgres schema holding River's and Switchboard's tables,
	// created if missing. Empty means the connection's search_path. Ignored
	// for SQLite.
	Schema string
	Logger *logrus.Entry
	// Workers are the job workers; nil makes an insert-only store that
	// queues jobs but never runs them. When set, it must hold a worker for
	// ProcessDeliveryArgs, or Enqueue fails.
	Workers      *river.Workers
	MaxWorkers   int           // default DefaultMaxWorkers
	JobTimeout   time.Duration // default DefaultJobTimeout; clamped below RescueAfter
	RescueAfter  time.Duration // default DefaultRescueAfter: a job running this long is presumed dead and retried
	RetryPolicy  river.ClientRetryPolicy
	PeriodicJobs []*river.PeriodicJob
	// FetchCooldown and FetchPollInterval default per driver (see DESIGN.md,
	// "River on SQLite").
	FetchCooldown, FetchPollInterval time.Duration
	BatchMaxWait                     time.Duration // default DefaultBatchMaxWait; how long the writer waits to fill a batch
	BatchMaxSize                     int           // default DefaultBatchMaxSize
	Registerer                       prometheus.Registerer
	// JobRetention is how long River keeps finished jobs (completed,
	// cancelled and discarded) before its cleaner deletes them; 0 keeps
	// River's defaults (24 hours, 24 hours and 7 days). Unique action jobs
	// stop deduplicating once deleted, so it is best at least as long as
	// the deliveries are kept.
	JobRetention time.Duration
}

var schemaRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// withDefaults validates o and fills in its defaults. It never echoes the DSN.
func (o Options) withDefaults() (Options, error) {
	switch o.Driver {
	case DriverSQLite, DriverPostgres:
	case "":
		o.Driver = DriverSQLite
	default:
		return o, fmt.Errorf("store: unknown driver %q (want %q or %q)", o.Driver, DriverSQLite, DriverPostgres)
	}
	if o.DSN == "" {
		return o, errors.New("store: empty DSN")
	}
	if o.Schema != "" && (o.Driver != DriverPostgres || !schemaRE.MatchString(o.Schema) || len(o.Schema) > 40) {
		return o, fmt.Errorf("store: schema %q: only for postgres, letters, digits and underscores, at most 40 characters", o.Schema)
	}
	if len(o.PeriodicJobs) > 0 && o.Workers == nil {
		return o, errors.New("store: periodic jobs need Workers")
	}
	if o.Logger == nil {
		l := logrus.New()
		l.SetOutput(discard{})
		o.Logger = logrus.NewEntry(l)
	}
	if o.MaxWorkers <= 0 {
		o.MaxWorkers = DefaultMaxWorkers
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = DefaultJobTimeout
	}
	if o.RescueAfter <= 0 {
		o.RescueAfter = DefaultRescueAfter
	}
	if o.JobTimeout >= o.RescueAfter {
		// A job still running when the rescuer looks would be run a second
		// time; keep the timeout well inside the rescue window.
		o.Logger.WithField(logfield.Component, "store").Warnf(
			"job timeout %s is not below rescue-after %s; using %s", o.JobTimeout, o.RescueAfter, o.RescueAfter/2)
		o.JobTimeout = o.RescueAfter / 2
	}
	if o.FetchCooldown <= 0 {
		o.FetchCooldown = defaultSQLiteFetchCooldown
		if o.Driver == DriverPostgres {
			o.FetchCooldown = defaultPostgresFetchCooldown
		}
	}
	if o.FetchPollInterval <= 0 {
		o.FetchPollInterval = defaultSQLiteFetchPollInterval
		if o.Driver == DriverPostgres {
			o.FetchPollInterval = defaultPostgresFetchPollInterval
		}
	}
	if o.FetchPollInterval < o.FetchCooldown {
		o.FetchPollInterval = o.FetchCooldown
	}
	if o.BatchMaxWait < 0 {
		o.BatchMaxWait = 0
	} else if o.BatchMaxWait == 0 {
		o.BatchMaxWait = DefaultBatchMaxWait
	}
	if o.BatchMaxSize <= 0 {
		o.BatchMaxSize = DefaultBatchMaxSize
	}
	if o.BatchMaxSize > maxBatchSize {
		o.BatchMaxSize = maxBatchSize
	}
	return o, nil
}

// riverConfig is the River client configuration for o.
func (o Options) riverConfig() *river.Config {
	cfg := &river.Config{
		FetchCooldown:        o.FetchCooldown,
		FetchPollInterval:    o.FetchPollInterval,
		JobTimeout:           o.JobTimeout,
		Logger:               newSlogLogger(o.Logger.WithField(logfield.Component, "river")),
		PeriodicJobs:         o.PeriodicJobs,
		RescueStuckJobsAfter: o.RescueAfter,
		RetryPolicy:          o.RetryPolicy,
		Schema:               o.Schema,
	}
	if o.JobRetention > 0 {
		cfg.CompletedJobRetentionPeriod = o.JobRetention
		cfg.CancelledJobRetentionPeriod = o.JobRetention
		cfg.DiscardedJobRetentionPeriod = o.JobRetention
	}
	if o.Workers != nil {
		cfg.Workers = o.Workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.MaxWorkers}}
	}
	return cfg
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
