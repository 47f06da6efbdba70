package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/store"
)

// Runner is the "run action" worker: it runs one rendered action, asks
// actions.Classify what the result means, records the outcome and tells the
// queue when to try again.
type Runner struct {
	river.WorkerDefaults[RunActionArgs]

	queue   Queue
	live    *Live
	log     *logrus.Entry
	metrics *Metrics
	now     func() time.Time
	jitter  func() float64
	// followups, when set, hears of every success (see Followups).
	followups Followups
	heads     Heads // supersede: true (conversation.go)
}

// NewRunner returns a Runner.
func NewRunner(q Queue, live *Live, log *logrus.Entry, m *Metrics, now func() time.Time) *Runner {
	if now == nil {
		now = time.Now
	}
	return &Runner{queue: q, live: live, log: log, metrics: m, now: now, jitter: rand.Float64}
}

// WithFollowups makes r tell f of every action that succeeded, and returns r.
func (r *Runner) WithFollowups(f Followups) *Runner {
	r.followups = f
	return r
}

// Work implements river.Worker.
func (r *Runner) Work(ctx context.Context, job *river.Job[RunActionArgs]) error {
	a := job.Args
	log := r.entry(a)

	prev, err := r.queue.Outcome(ctx, a.Delivery, a.Rule, a.Index)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("load outcome: %w", err)
	}
	attempt := 1
	if prev != nil {
		if prev.State == store.OutcomeSucceeded || prev.State == store.OutcomeFailed || prev.State == store.OutcomeCancelled {
			// Finished before the queue heard of it (a crash between the
			// two): running it again would double its effect.
			if prev.State == store.OutcomeSucceeded && r.followups != nil {
				return r.followups.Succeeded(ctx, &a.Job, prev.Detail) // idempotent
			}
			return nil
		}
		attempt = prev.Attempts + 1
	}
	log = log.WithField(logfield.Attempt, attempt)
	if done, err := r.superseded(ctx, a, attempt, log); done || err != nil {
		return err
	}

	start := r.now()
	out := store.Outcome{Delivery: a.Delivery, Rule: a.Rule, Index: a.Index, Kind: a.Job.Kind, State: store.OutcomeRunning, Attempts: attempt}
	base := 0
	var prevLinks map[string]string
	if prev != nil {
		out.Detail, out.LastError = prev.Detail, prev.LastError
		base, prevLinks = prev.AttemptBase, prev.Links
		if prev.State == store.OutcomeRunning && prev.Attempts > 0 {
			// The last attempt never recorded its end: its process died.
			out.Attempt = &store.Attempt{N: prev.Attempts, StartedAt: prev.UpdatedAt, Outcome: store.AttemptInterrupted,
				Error: "the process running this attempt stopped before it ended"}
		}
	}
	if err := r.queue.RecordOutcome(ctx, out); err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	interrupted := prev != nil && (prev.State == store.OutcomeRunning || prev.State == store.OutcomeUnconfirmed)
	return r.attempt(ctx, a, attemptStart{n: attempt, base: base, prevLinks: prevLinks, out: out, start: start, interrupted: interrupted},
		log, func(ctx context.Context, out store.Outcome, _ error, _ bool) error {
			return r.queue.RecordOutcome(ctx, out)
		})
}

// attemptStart is where an attempt stands once it is recorded running.
type attemptStart struct {
	n, base     int // the attempt's number, and the attempt a retry by hand restarted the count at
	prevLinks   map[string]string
	out         store.Outcome // as recorded: running
	start       time.Time
	interrupted bool // an earlier attempt may have acted without recording its end
}

// recordEnd records how an attempt ended; result is what the job returns
// to River (nil, a snooze or a cancellation). final is false when the job
// has more to do once this is recorded (queue a follow-up).
type recordEnd func(ctx context.Context, out store.Outcome, result error, final bool) error

// RunClaimed makes the first attempt of an action whose job intake queued
// already running, with its outcome recorded running (store.EnqueueClaimed):
// nothing is read back or written before the action runs. links are the
// ones recorded when it was queued. record writes the end (the outcome
// and, in the same transaction, the job's state). It returns what Work
// would return to River.
func (r *Runner) RunClaimed(ctx context.Context, a RunActionArgs, links map[string]string, record recordEnd) error {
	log := r.entry(a).WithField(logfield.Attempt, 1)
	out := store.Outcome{Delivery: a.Delivery, Rule: a.Rule, Index: a.Index, Kind: a.Job.Kind, State: store.OutcomeRunning, Attempts: 1}
	return r.attempt(ctx, a, attemptStart{n: 1, prevLinks: links, out: out, start: r.now()}, log, record)
}

// attempt runs the action and records how it ended.
func (r *Runner) attempt(ctx context.Context, a RunActionArgs, at attemptStart, log *logrus.Entry, record recordEnd) error {
	attempt, base, prevLinks, out, start := at.n, at.base, at.prevLinks, at.out, at.start
	if attempt == 1 && !a.ReceivedAt.IsZero() {
		r.metrics.firstAttempt(start.Sub(a.ReceivedAt).Seconds())
	}
	if at.interrupted {
		// The last attempt died mid-call, or reached the service without
		// an answer: its effect may have happened, so the action checks.
		ctx = actions.WithInterrupted(ctx)
	}

	snap := r.live.Load()
	res, runErr := run(ctx, snap.Actions, &a.Job)
	end := r.now()
	took := end.Sub(start).Seconds()
	verdict := actions.Classify(runErr)

	if res.Detail != "" {
		out.Detail = res.Detail
		out.Links = mergedLinks(prevLinks, a.Job.Kind, res.Detail)
	}
	retry := snap.Config.Retry
	var result error
	switch {
	case verdict.Outcome == actions.Success:
		out.State, out.LastError = store.OutcomeSucceeded, ""
	case verdict.Outcome == actions.Retry && attempt-base < retry.MaxAttempts:
		// The budget counts from the last retry by hand (AttemptBase).
		delay := verdict.Delay(retry, attempt-base, r.jitter)
		out.State, out.LastError = store.OutcomeRetrying, runErr.Error()
		if verdict.MayHaveActed {
			out.State = store.OutcomeUnconfirmed
		}
		out.NextAttemptAt = end.Add(delay)
		result = river.JobSnooze(delay)
		log = log.WithField("retry_in", delay.String())
	default:
		out.State, out.LastError = store.OutcomeFailed, runErr.Error()
		result = river.JobCancel(runErr)
	}
	out.Attempt = &store.Attempt{N: attempt, StartedAt: start, Duration: end.Sub(start), Outcome: out.State, Error: out.LastError}
	if out.State == store.OutcomeUnconfirmed {
		out.Attempt.Outcome = store.OutcomeRetrying
	}

	// Record even when ctx was cancelled by shutdown: the outcome is the
	// only trace of an attempt whose effect may have happened.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	follows := out.State == store.OutcomeSucceeded && r.followups != nil && r.followups.Follows(&a.Job)
	if err := record(rctx, out, result, !follows); err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}

	r.metrics.attempt(a.Job.Kind, out.State, took)
	entry := log.WithFields(logrus.Fields{logfield.Outcome: out.State, logfield.Duration: took})
	if res.Detail != "" {
		entry = entry.WithField("detail", res.Detail)
	}
	switch out.State {
	case store.OutcomeSucceeded:
		entry.Info("action succeeded")
	case store.OutcomeRetrying, store.OutcomeUnconfirmed:
		entry.WithField("reason", verdict.Reason).Warn("action failed; will retry")
	default:
		entry.WithField("reason", verdict.Reason).Error("action failed")
	}
	if follows {
		if err := r.followups.Succeeded(rctx, &a.Job, out.Detail); err != nil {
			return fmt.Errorf("queue follow-up: %w", err) // River retries; the branch above queues it
		}
	}
	return result
}

// entry is the log entry for a's attempts.
func (r *Runner) entry(a RunActionArgs) *logrus.Entry {
	log := r.log.WithFields(logrus.Fields{
		logfield.Delivery: a.Delivery,
		logfield.Event:    a.Job.Event,
		logfield.Rule:     a.Rule,
		logfield.Kind:     a.Job.Kind,
	})
	if a.Job.Target.Owner != "" {
		log = log.WithField(logfield.Repo, a.Job.Target.Owner+"/"+a.Job.Target.Repo)
	}
	return log
}

// run calls the action and turns a panic into an error with its stack, so a
// bug in one action is recorded against it instead of killing the process.
func run(ctx context.Context, set *actions.Set, job *actions.Job) (res actions.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("action panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return set.Run(ctx, job)
}
