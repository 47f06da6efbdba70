package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/store"
)

// FollowBuildArgs is the queue job that follows the Jenkins build a jenkins
// action with report: true queued, and reports it as commit statuses. It
// is unique by delivery, rule and action index, like the action itself: a
// build is followed once, however often its trigger is seen to succeed.
type FollowBuildArgs struct {
	Delivery string      `json:"delivery" river:"unique"`
	Rule     string      `json:"rule" river:"unique"`
	Index    int         `json:"index" river:"unique"`
	Job      actions.Job `json:"job"`
	// QueueItemURL is what the trigger left: the queue item URL (or the
	// build URL when a retried trigger found its build).
	QueueItemURL string `json:"queue_item_url"`
	// Deadline is when following gives up with an error status.
	Deadline time.Time `json:"deadline"`
}

// Kind implements river.JobArgs.
func (FollowBuildArgs) Kind() string { return "follow_build" }

// Followups hears of every action that succeeded, so that work following
// it can be queued. Runner calls it after recording the success, and again
// when it meets an action already recorded as succeeded, so a follow-up
// that could not be queued the first time is queued on River's retry. It
// must be idempotent.
type Followups interface {
	Succeeded(ctx context.Context, job *actions.Job, detail string) error
	// Follows reports whether Succeeded queues anything for job.
	Follows(job *actions.Job) bool
}

// Follow is the "follow build" worker. Each run makes one check
// (Set.FollowBuild) and reschedules itself with River's snooze, 2s doubling
// to 30s by default, until the build has a result or the deadline passes:
// no worker is held for the build's duration. Progress is kept in the
// Detail of the jenkins action's outcome between checks.
type Follow struct {
	river.WorkerDefaults[FollowBuildArgs]

	queue Queue
	live  *Live
	log   *logrus.Entry
	now   func() time.Time
	heads Heads // supersede: true (conversation.go)
}

// Compile-time check that Follow is the Followups the Runner needs.
var _ Followups = (*Follow)(nil)

// NewFollow returns a Follow worker.
func NewFollow(q Queue, live *Live, log *logrus.Entry, now func() time.Time) *Follow {
	if now == nil {
		now = time.Now
	}
	return &Follow{queue: q, live: live, log: log, now: now}
}

// Succeeded queues the follow job of a jenkins action with report: true;
// for any other action it does nothing. detail is the action's Result
// Detail: the queue item URL. A second call for the same action queues
// nothing (the job is unique).
func (f *Follow) Succeeded(ctx context.Context, job *actions.Job, detail string) error {
	if !f.Follows(job) {
		return nil
	}
	args := FollowBuildArgs{
		Delivery: job.Delivery, Rule: job.Rule, Index: job.Index, Job: *job,
		QueueItemURL: detail, Deadline: f.now().Add(f.live.Load().Actions.FollowDeadline(job)),
	}
	_, err := f.queue.InsertJobs(ctx, []river.InsertManyParams{{
		Args:       args,
		InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}},
	}})
	if err != nil {
		return fmt.Errorf("queue following the build: %w", err)
	}
	return nil
}

// Follows implements Followups: a Jenkins build that reports its result.
func (f *Follow) Follows(job *actions.Job) bool {
	return job != nil && job.Kind == "jenkins" && job.Jenkins != nil && job.Jenkins.Report
}

// check is one check of the build: superseded (when a newer event of a
// rule with supersede: true came), or followed as usual.
func (f *Follow) check(ctx context.Context, snap *Snapshot, job *actions.Job, st actions.FollowState, deadline time.Time, log *logrus.Entry) (actions.FollowState, bool, error) {
	by, err := supersededBy(ctx, f.heads, job)
	if err != nil {
		return st, false, err
	}
	if by != "" {
		next, done, err := snap.Actions.SupersedeBuild(ctx, job, st, by)
		if done || err != nil {
			if done {
				log.WithField("reason", actions.SupersededText(by)).Info("build " + actions.SupersededText(by))
			}
			return next, done, err
		}
		st = next // a running build left to finish
	}
	return snap.Actions.FollowBuild(ctx, job, st, deadline)
}

// Work implements river.Worker: one check, then a snooze until the next.
func (f *Follow) Work(ctx context.Context, job *river.Job[FollowBuildArgs]) error {
	a := job.Args
	log := f.log.WithFields(logrus.Fields{
		logfield.Delivery: a.Delivery,
		logfield.Event:    a.Job.Event,
		logfield.Rule:     a.Rule,
		logfield.Kind:     "jenkins",
	})
	if a.Job.Target.Owner != "" {
		log = log.WithField(logfield.Repo, a.Job.Target.Owner+"/"+a.Job.Target.Repo)
	}

	out, err := f.queue.Outcome(ctx, a.Delivery, a.Rule, a.Index)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Not expected (the trigger's success is recorded before this job
		// is queued); keep the progress in a row of its own making.
		out = &store.Outcome{Delivery: a.Delivery, Rule: a.Rule, Index: a.Index, Kind: a.Job.Kind,
			State: store.OutcomeSucceeded, Attempts: 1}
	case err != nil:
		return fmt.Errorf("load outcome: %w", err)
	}
	st := actions.ParseFollowState(out.Detail)
	if st.QueueItem == "" && st.Build == "" {
		st = actions.ParseFollowState(a.QueueItemURL)
	}
	if st.Done() {
		return nil // finished before the queue heard of it (a crash in between)
	}

	snap := f.live.Load()
	before := st.Reported
	st, done, ferr := f.check(ctx, snap, &a.Job, st, a.Deadline, log)
	st.Checks++
	verdict := actions.Classify(ferr)
	opts := snap.Actions.FollowOptions()

	var result error
	entry := log.WithFields(logrus.Fields{"checks": st.Checks, "build": st.Build})
	switch {
	case ferr == nil:
		st.Failures = 0
		switch {
		case done:
			entry.WithField("result", st.Result).Info("build reported")
		case st.Reported != before:
			entry.WithField("reported", st.Reported).Info("build status set")
		}
		if !done {
			result = river.JobSnooze(opts.Interval(st.Checks))
		}
	case verdict.Outcome == actions.PermanentFailure:
		st.Error = ferr.Error()
		entry.WithField("reason", verdict.Reason).WithError(ferr).Error("cannot report the build; no longer followed")
		result = river.JobCancel(ferr)
	default:
		st.Failures++
		limit := snap.Config.Retry.MaxAttempts
		if !f.now().Before(a.Deadline) && limit > 0 && st.Failures >= limit {
			// Past the deadline only the last status is still owed; it
			// gets as many tries as any action.
			st.Error = ferr.Error()
			entry.WithField("reason", verdict.Reason).WithError(ferr).Error("cannot report the build; no longer followed")
			result = river.JobCancel(ferr)
			break
		}
		delay := max(verdict.After, opts.Interval(st.Checks))
		entry.WithFields(logrus.Fields{"reason": verdict.Reason, "retry_in": delay.String()}).WithError(ferr).Warn("build check failed; will retry")
		result = river.JobSnooze(delay)
	}

	// Record even when ctx was cancelled by shutdown: a status may have
	// been set, and the build URL must not be forgotten.
	out.Detail = st.Detail()
	out.Links = mergedLinks(out.Links, "jenkins", out.Detail)
	out.UpdatedAt = time.Time{}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := f.queue.RecordOutcome(rctx, *out); err != nil {
		return fmt.Errorf("record build progress: %w", err)
	}
	return result
}
