package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// Queue is what the workers need of the store.
type Queue interface {
	Delivery(ctx context.Context, id string) (*store.Delivery, error)
	InsertJobs(ctx context.Context, jobs []river.InsertManyParams) (int, error)
	RecordOutcome(ctx context.Context, o store.Outcome) error
	Outcome(ctx context.Context, delivery, rule string, idx int) (*store.Outcome, error)
}

// Processor is the "process delivery" worker: it parses a stored delivery,
// matches the rules of the current configuration, renders their actions and
// queues one RunActionArgs job per action, all in one transaction.
type Processor struct {
	river.WorkerDefaults[store.ProcessDeliveryArgs]

	queue   Queue
	live    *Live
	files   rules.FileLister // nil: pull request paths are unknown
	log     *logrus.Entry
	metrics *Metrics
	now     func() time.Time
	talk    Talk // conversations, supersede, loop safety (conversation.go)
}

// NewProcessor returns a Processor. files may be nil.
func NewProcessor(q Queue, live *Live, files rules.FileLister, log *logrus.Entry, m *Metrics, now func() time.Time) *Processor {
	if now == nil {
		now = time.Now
	}
	return &Processor{queue: q, live: live, files: files, log: log, metrics: m, now: now}
}

// Work implements river.Worker.
func (p *Processor) Work(ctx context.Context, job *river.Job[store.ProcessDeliveryArgs]) error {
	start := p.now()
	log := p.log.WithFields(logrus.Fields{logfield.Delivery: job.Args.Delivery, logfield.Event: job.Args.Event})

	d, err := p.queue.Delivery(ctx, job.Args.Delivery)
	if errors.Is(err, store.ErrNotFound) {
		// Retention removed it, or it was never committed: nothing to do, ever.
		log.WithField(logfield.Status, "missing").Warn("delivery not in store; skipped")
		p.metrics.delivery(job.Args.Event, "missing")
		return river.JobCancel(err)
	}
	if err != nil {
		return fmt.Errorf("load delivery: %w", err)
	}

	ev, err := rules.NewEvent(d.Event, d.ID, d.Payload)
	if err != nil {
		// A payload that does not parse will not parse on a retry either.
		log.WithError(err).WithField(logfield.Status, "unparsable").Error("delivery payload rejected")
		p.metrics.delivery(d.Event, "unparsable")
		return river.JobCancel(err)
	}
	log = log.WithFields(logrus.Fields{logfield.Action: ev.Action, logfield.Repo: ev.Repository.FullName})

	snap := p.live.Load()
	jobs, evalErr, retryErr := p.evaluate(ctx, snap, ev, log)
	if retryErr != nil {
		// GitHub did not list the pull request's files (or did not answer
		// a command's look-up), or we are shutting down: nothing was
		// decided, so the whole delivery is tried again.
		return retryErr
	}

	params := make([]river.InsertManyParams, 0, len(jobs))
	for _, j := range jobs {
		params = append(params, river.InsertManyParams{
			Args: RunActionArgs{Delivery: j.Delivery, Rule: j.Rule, Index: j.Index, Job: j},
			InsertOpts: &river.InsertOpts{
				// Runner counts attempts itself (snoozes do not count in River);
				// this only bounds rescues of a job whose process died.
				MaxAttempts: 1000,
				UniqueOpts:  river.UniqueOpts{ByArgs: true},
			},
		})
	}
	inserted := 0
	if len(params) > 0 {
		if inserted, err = p.queue.InsertJobs(ctx, params); err != nil {
			return fmt.Errorf("queue actions: %w", err)
		}
	}

	status := "processed"
	fields := logrus.Fields{
		logfield.Status:   status,
		"actions":         len(jobs),
		"queued":          inserted,
		logfield.Duration: p.now().Sub(start).Seconds(),
	}
	if evalErr != nil {
		// Some actions failed to render, or some rule's expr failed on this
		// payload; the rest are queued. A retry would fail the same way.
		status = ruleErrorStatus(evalErr)
		fields[logfield.Status] = status
		log.WithFields(fields).WithError(evalErr).Error("delivery processed with rule errors")
		p.metrics.delivery(d.Event, status)
		return nil
	}
	log.WithFields(fields).Info("delivery processed")
	p.metrics.delivery(d.Event, status)
	return nil
}

// ruleErrorStatus names what Evaluate reported beside its jobs:
// "render_errors" when an action failed to render (the config is at
// fault), else "condition_errors" (an expr failed on this payload, such as
// a field it lacks).
func ruleErrorStatus(err error) string {
	var re *rules.RenderError
	if errors.As(err, &re) {
		return "render_errors"
	}
	return "condition_errors"
}
