package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/budget"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// Queue is what the workers need of the store.
type Queue interface {
	Delivery(ctx context.Context, id string) (*store.Delivery, error)
	InsertJobs(ctx context.Context, jobs []river.InsertManyParams) (int, error)
	// RecordProcessing records what processing decided (with the rules'
	// explanations) and queues the actions, in one transaction.
	RecordProcessing(ctx context.Context, p store.Processing) (int, error)
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
	// bodies, when set, is the memory budget a payload's processing holds
	// room in (see WithBudget).
	bodies *budget.Budget
	talk   Talk           // conversations, supersede, loop safety (conversation.go)
	repo   RepoRuleSource // rules repositories write themselves (repo_rules.go)
}

// ViewCost is how many bytes of memory building the event view of a payload
// of one byte takes, as charged to the budget: measured on this machine, a
// 20 MB payload of one long string allocates 84 MB in NewEvent (20 MB
// live), one of 20 MB of commits 206 MB (125 MB live). See
// docs/BENCHMARKS.md. That was with the payload's maps built at once; they
// are now built on first use only, so for most events 4 is an
// overestimate, kept for the events whose rules read .Payload.
const ViewCost = 4

// WithBudget makes p hold room in bodies (the budget of request bodies in
// flight, server.max_inflight_body_bytes) while it loads and decodes a
// payload: ViewCost times its size, at most the budget's general share,
// waiting for it as long as the job may run. So a flood of large
// deliveries is decoded one or two at a time, not twenty, and intake and
// processing together stay within one bound. It returns p.
func (p *Processor) WithBudget(bodies *budget.Budget) *Processor {
	p.bodies = bodies
	return p
}

// hold takes the room for decoding a payload of size bytes; nil when p has
// no budget or the size is not known (jobs queued before it was recorded).
func (p *Processor) hold(ctx context.Context, size int64) (*budget.Grant, error) {
	if p.bodies == nil || size <= 0 {
		return nil, nil
	}
	return p.bodies.Acquire(ctx, p.bodies.Capped(ViewCost*size))
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

	grant, err := p.hold(ctx, job.Args.Size)
	if err != nil {
		// Shutting down, or the job's time ran out while waiting: River
		// tries it again.
		return fmt.Errorf("wait for memory budget: %w", err)
	}
	defer grant.Release()

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
		if _, rerr := p.queue.RecordProcessing(ctx, store.Processing{Delivery: d.ID, Status: store.ProcessedError,
			Error: "payload rejected: " + err.Error(), At: p.now()}); rerr != nil {
			log.WithError(rerr).Warn("could not record the rejected payload in the history")
		}
		return river.JobCancel(err)
	}
	dec, retryErr := p.decide(ctx, d, ev, log, start, false)
	if retryErr != nil {
		// GitHub did not list the pull request's files (or did not answer
		// a command's look-up), or we are shutting down: nothing was
		// decided, so the whole delivery is tried again.
		return retryErr
	}
	inserted, err := p.queue.RecordProcessing(ctx, dec.rec)
	if errors.Is(err, store.ErrNotFound) {
		dec.log.WithField(logfield.Status, "missing").Warn("delivery not in store; skipped")
		p.metrics.delivery(d.Event, "missing")
		return river.JobCancel(err)
	}
	if err != nil {
		return fmt.Errorf("queue actions: %w", err)
	}
	p.done(d.Event, dec, inserted)
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
