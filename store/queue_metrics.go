package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// queueStates are the job states switchboard_queue_jobs reports: the
// backlog, and what is running.
var queueStates = []string{"available", "running", "retryable", "scheduled"}

// scrapeTimeout bounds the queries of one scrape.
const scrapeTimeout = 2 * time.Second

// queueCollector reports the queue's backlog at every scrape, from River's
// job table: switchboard_queue_jobs{kind,state} and
// switchboard_queue_oldest_available_seconds.
type queueCollector struct {
	jobs   *prometheus.Desc
	oldest *prometheus.Desc
	errors prometheus.Counter

	mu    sync.Mutex
	store *Store          // set once the store is open
	kinds map[string]bool // every kind seen, reported as 0 when none is left
	now   func() time.Time
}

// Compile-time check that queueCollector is a Collector.
var _ prometheus.Collector = (*queueCollector)(nil)

func newQueueCollector() *queueCollector {
	return &queueCollector{
		jobs: prometheus.NewDesc("switchboard_queue_jobs",
			"Queue jobs by kind and state (available: waiting for a worker; running; retryable and scheduled: waiting for their time).",
			[]string{"kind", "state"}, nil),
		oldest: prometheus.NewDesc("switchboard_queue_oldest_available_seconds",
			"How long the oldest job available to run has waited for a worker; 0 when none waits.", nil, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_queue_metrics_errors_total",
			Help: "Scrapes whose queue metrics could not be read from the store.",
		}),
		// The store's own kind is always reported, so the series exist
		// (at 0) before the first job is seen.
		kinds: map[string]bool{ProcessDeliveryArgs{}.Kind(): true},
		now:   time.Now,
	}
}

func (c *queueCollector) bind(s *Store) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store = s
}

// Describe implements prometheus.Collector.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.jobs
	ch <- c.oldest
	c.errors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	defer c.errors.Collect(ch)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	counts, oldest, err := c.read(ctx)
	if err != nil {
		c.errors.Inc()
		c.store.log.WithError(err).Warn("queue metrics: cannot read the job table")
		return
	}
	for k := range counts {
		c.kinds[k[0]] = true
	}
	kinds := make([]string, 0, len(c.kinds))
	for k := range c.kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		for _, st := range queueStates {
			ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(counts[[2]string{k, st}]), k, st)
		}
	}
	age := 0.0
	if !oldest.IsZero() {
		age = max(0, c.now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}

func (c *queueCollector) read(ctx context.Context) (map[[2]string]int, time.Time, error) {
	db := c.store.q.pool()
	rs, err := db.query(ctx, `SELECT kind, state, COUNT(*) FROM river_job
		WHERE state IN ('`+strings.Join(queueStates, `', '`)+`') GROUP BY kind, state`)
	if err != nil {
		return nil, time.Time{}, err
	}
	counts := map[[2]string]int{}
	for rs.Next() {
		var (
			kind, state string
			n           int
		)
		if err := rs.Scan(&kind, &state, &n); err != nil {
			rs.Close()
			return nil, time.Time{}, err
		}
		counts[[2]string{kind, state}] = n
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, time.Time{}, err
	}
	var raw any
	if err := db.queryRow(ctx, `SELECT MIN(scheduled_at) FROM river_job WHERE state = 'available'`).Scan(&raw); err != nil {
		return nil, time.Time{}, err
	}
	oldest, err := anyTime(raw)
	return counts, oldest, err
}

// anyTime reads a timestamp an aggregate returned: pgx gives a time.Time;
// SQLite, text in one of the layouts River and the store write.
func anyTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return t, nil
	case []byte:
		return anyTime(string(t))
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if p, err := time.ParseInLocation(layout, t, time.UTC); err == nil {
				return p, nil
			}
		}
		return time.Time{}, fmt.Errorf("unreadable time %q", t)
	}
	return time.Time{}, fmt.Errorf("unreadable time of type %T", v)
}
