package maintenance

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// DefaultRetentionEvery is how often the retention job runs, unless the
// retention is short (see RetentionEvery).
const DefaultRetentionEvery = 10 * time.Minute

// RetentionEvery is how often the retention job runs for a retention of
// keep: every DefaultRetentionEvery, or every quarter of keep when that is
// shorter, so that nothing stays much past its retention.
func RetentionEvery(keep time.Duration) time.Duration {
	return max(min(DefaultRetentionEvery, keep/4), minEvery)
}

// JobTimeout bounds one run of either job. River rescues a running job only
// after its worker's timeout, so a long first pass (three days of log) is
// not started a second time beside itself.
const JobTimeout = 15 * time.Minute

// minEvery is the shortest interval River's periodic jobs support.
const minEvery = time.Second

// CatchUpArgs is the periodic catch-up job.
type CatchUpArgs struct{}

// Kind is the River job kind, "catch_up".
func (CatchUpArgs) Kind() string { return "catch_up" }

// RetentionArgs is the periodic retention job.
type RetentionArgs struct{}

// Kind is the River job kind, "retention".
func (RetentionArgs) Kind() string { return "retention" }

// CatchUpWorker runs a catch-up pass for each CatchUpArgs job.
type CatchUpWorker struct {
	river.WorkerDefaults[CatchUpArgs]
	c *CatchUp
}

// Work runs one pass. It never fails the job: the pass logs its own
// outcome and the next periodic run is the retry. With no CatchUp (no App
// credentials, or catch-up turned off) it does nothing, for a job queued
// under an earlier configuration.
func (w *CatchUpWorker) Work(ctx context.Context, _ *river.Job[CatchUpArgs]) error {
	if w.c != nil {
		w.c.Pass(ctx)
	}
	return nil
}

// Timeout is JobTimeout, longer than River's default for action jobs.
func (w *CatchUpWorker) Timeout(*river.Job[CatchUpArgs]) time.Duration { return JobTimeout }

// RetentionWorker runs the retention for each RetentionArgs job.
type RetentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	r *Retention
}

// Work deletes what is past retention. Like CatchUpWorker.Work it never
// fails the job.
func (w *RetentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	if w.r != nil {
		_, _ = w.r.Run(ctx)
	}
	return nil
}

// Timeout is JobTimeout.
func (w *RetentionWorker) Timeout(*river.Job[RetentionArgs]) time.Duration { return JobTimeout }

// Schedule says which maintenance jobs run and how often.
type Schedule struct {
	// CatchUp is nil when there are no GitHub App credentials.
	CatchUp *CatchUp
	// CatchUpEvery is github.catch_up_interval; 0 or less: never.
	CatchUpEvery time.Duration
	// Retention is nil to keep everything.
	Retention *Retention
	// RetentionEvery: default DefaultRetentionEvery.
	RetentionEvery time.Duration
}

// Register adds the catch-up and retention workers to workers and returns
// the periodic jobs for store.Options.PeriodicJobs. River inserts periodic
// jobs on the elected leader only, on SQLite and on Postgres alike, each
// once when the leader starts and then every interval (at least a second).
// The workers are added even for jobs that are off, so that a job queued
// under an earlier configuration finds its worker and ends quietly.
func Register(workers *river.Workers, s Schedule) []*river.PeriodicJob {
	river.AddWorker(workers, &CatchUpWorker{c: s.CatchUp})
	river.AddWorker(workers, &RetentionWorker{r: s.Retention})
	var jobs []*river.PeriodicJob
	if s.CatchUp != nil && s.CatchUpEvery > 0 {
		jobs = append(jobs, periodic(CatchUpArgs{}, s.CatchUpEvery))
	}
	if s.Retention != nil {
		every := s.RetentionEvery
		if every <= 0 {
			every = DefaultRetentionEvery
		}
		jobs = append(jobs, periodic(RetentionArgs{}, every))
	}
	return jobs
}

// periodic makes a job that runs at start and every interval. It is unique
// while queued or running, so that a new leader's start-up run, or a
// schedule that comes round during a long run, does not start a second run
// beside the first; and it is never retried, since the next run is one.
func periodic(args river.JobArgs, every time.Duration) *river.PeriodicJob {
	opts := &river.InsertOpts{
		MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		}},
	}
	return river.NewPeriodicJob(
		river.PeriodicInterval(max(every, minEvery)),
		func() (river.JobArgs, *river.InsertOpts) { return args, opts },
		&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true},
	)
}
