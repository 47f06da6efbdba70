package maintenance

import (
	"context"
	"errors"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/store"
)

// DefaultRedeliveryRetention is how long redelivery records are kept: a day
// past GitHub's window, after which the log no longer lists their events.
const DefaultRedeliveryRetention = GitHubWindow + 24*time.Hour

// Table names, the values of the table label of
// switchboard_retention_deleted_total.
const (
	TableDeliveries   = "deliveries"
	TableOutcomes     = "action_outcomes"
	TableRedeliveries = "redeliveries"
)

// RetentionStore is what the retention needs of the store. *store.Store
// implements it.
type RetentionStore interface {
	DeleteDeliveriesBefore(ctx context.Context, t time.Time, batch int) (int64, error)
	DeleteFinishedOutcomesBefore(ctx context.Context, t time.Time, batch int) (int64, error)
	DeleteRedeliveriesBefore(ctx context.Context, t time.Time, batch int) (int64, error)
}

// RetentionOptions configures a Retention. Store and Retention are
// required.
type RetentionOptions struct {
	Store RetentionStore
	// Retention is store.retention: deliveries received, and finished
	// action outcomes last updated, longer ago than this are deleted.
	Retention time.Duration
	// RedeliveryRetention: default DefaultRedeliveryRetention.
	RedeliveryRetention time.Duration
	// BatchSize is the most rows one DELETE removes; default
	// store.DefaultDeleteBatch.
	BatchSize int
	Logger    *logrus.Entry    // default discards
	Metrics   *Metrics         // default unregistered
	Now       func() time.Time // default time.Now
}

// Retention deletes what is older than the configured retention, in small
// batches. River's own finished jobs are deleted by River's job cleaner,
// configured with the same retention (store.Options.JobRetention).
type Retention struct {
	o   RetentionOptions
	log *logrus.Entry
}

// NewRetention checks o and fills in its defaults.
func NewRetention(o RetentionOptions) (*Retention, error) {
	if o.Store == nil || o.Retention <= 0 {
		return nil, errors.New("maintenance: retention needs a store and a retention greater than 0")
	}
	if o.RedeliveryRetention <= 0 {
		o.RedeliveryRetention = DefaultRedeliveryRetention
	}
	if o.BatchSize <= 0 {
		o.BatchSize = store.DefaultDeleteBatch
	}
	if o.Logger == nil {
		o.Logger = discardLogger()
	}
	if o.Metrics == nil {
		o.Metrics, _ = NewMetrics(nil)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Retention{o: o, log: o.Logger.WithField(logfield.Component, "retention")}, nil
}

// RetentionResult counts the rows one run deleted, by table.
type RetentionResult map[string]int64

// Run deletes deliveries received before now less the retention, finished
// action outcomes last updated before it, and redelivery records claimed
// before now less the redelivery retention. Rows at the cut-off are kept.
// It stops at the first failure. It logs its outcome and records the
// metrics; the error it returns is not to be logged again.
func (r *Retention) Run(ctx context.Context) (RetentionResult, error) {
	now := r.o.Now()
	cutoff := now.Add(-r.o.Retention)
	steps := []struct {
		table  string
		before time.Time
		del    func(context.Context, time.Time, int) (int64, error)
	}{
		{TableDeliveries, cutoff, r.o.Store.DeleteDeliveriesBefore},
		{TableOutcomes, cutoff, r.o.Store.DeleteFinishedOutcomesBefore},
		{TableRedeliveries, now.Add(-r.o.RedeliveryRetention), r.o.Store.DeleteRedeliveriesBefore},
	}
	res := RetentionResult{}
	var err error
	for _, s := range steps {
		var n int64
		n, err = s.del(ctx, s.before, r.o.BatchSize)
		res[s.table] = n
		r.o.Metrics.deleted.WithLabelValues(s.table).Add(float64(n))
		if err != nil {
			break
		}
	}
	log := r.log.WithFields(logrus.Fields{
		"deliveries":      res[TableDeliveries],
		"action_outcomes": res[TableOutcomes],
		"redeliveries":    res[TableRedeliveries],
		"cutoff":          cutoff.UTC().Format(time.RFC3339),
	})
	switch {
	case err != nil:
		log.WithError(err).Warn("retention stopped early; the next run resumes")
	case res[TableDeliveries]+res[TableOutcomes]+res[TableRedeliveries] > 0:
		log.Info("retention deleted old rows")
	default:
		log.Debug("retention found nothing to delete")
	}
	return res, err
}
