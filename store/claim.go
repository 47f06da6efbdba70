package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ClaimedJob is an action job that the intake transaction queued already
// running, for the process that committed it to run at once
// (EnqueueClaimed).
type ClaimedJob struct {
	ID     int64 // River's job ID
	Action int   // the index of its action in Processing.Actions
}

// Handoff is told how the write of an EnqueueDecided or EnqueueClaimed
// call ended: stored when its transaction committed with the delivery new
// (not a duplicate), and for EnqueueClaimed the jobs claimed (none unless
// stored). It is called exactly once per call, from the intake writer or
// before the call returns, and must not block. It is the one place the
// outcome is certain: a caller whose ctx ends while the transaction
// commits gets ctx's error from the call, and the delivery is stored all
// the same.
type Handoff func(stored bool, claimed []ClaimedJob)

// EnqueueClaimed is EnqueueDecided for a caller that runs the actions
// itself: their River jobs are inserted and, in the same transaction,
// marked running (attempt 1), so no producer fetches them; handoff gets
// them once the transaction has committed. The caller then reports each
// one's end with FinishClaimed. Should the process stop first, a job left
// running is resumed at the next start on SQLite (resumeRunning) and
// rescued after store.rescue_after on Postgres, like any job a stopped
// process was running; the action's recorded outcome says whether an
// attempt may have acted.
//
// This takes River's fetch, the outcome read and River's completion off
// the path of an action decided at intake (docs/architecture.md).
func (s *Store) EnqueueClaimed(ctx context.Context, d Delivery, p Processing, handoff Handoff) (duplicate bool, err error) {
	if handoff == nil {
		return false, errors.New("store: EnqueueClaimed needs a handoff")
	}
	return s.enqueueReq(ctx, &enqueueReq{ctx: ctx, d: d, handoff: handoff, claim: true}, &p)
}

// claimJobs marks the jobs a transaction inserted running, attempt 1, as
// River's fetch would (less attempted_by, which only River's own executor
// reads). Each must be available: a job that is not would run twice.
func (s *Store) claimJobs(ctx context.Context, tx querier, ids []int64) error {
	const perStatement = 1000
	at := s.riverTime(time.Now())
	for len(ids) > 0 {
		n := min(len(ids), perStatement)
		args := make([]any, 0, n+1)
		args = append(args, at)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		got, err := tx.exec(ctx, `UPDATE river_job SET state = 'running', attempt = attempt + 1, attempted_at = $1
			WHERE state = 'available' AND id IN (`+placeholders(2, n)+`)`, args...)
		if err != nil {
			return err
		}
		if got != int64(n) {
			return fmt.Errorf("store: claimed %d of %d new jobs; the rest were not available", got, n)
		}
		ids = ids[n:]
	}
	return nil
}

// JobEnd is how a claimed job ends: Completed, Cancelled (it failed for
// good: River runs it no more), or else run by River again at RunAt
// (scheduled if later than now, else available at once), as after a
// retry, a snooze, or a follow-up its next run does.
type JobEnd struct {
	Completed bool
	Cancelled bool
	RunAt     time.Time
}

// FinishClaimed ends a job EnqueueClaimed claimed whose attempt recorded
// no outcome with it (see JobEnd).
func (s *Store) FinishClaimed(ctx context.Context, id int64, end JobEnd) error {
	return s.endClaimed(ctx, "finish job", nil, id, end, false)
}

// RecordOutcomeFinish records o (RecordOutcome) and ends the claimed job
// id (FinishClaimed) in one transaction: the end of an action's first
// attempt costs one write, shared with the others ending together.
func (s *Store) RecordOutcomeFinish(ctx context.Context, o Outcome, id int64, end JobEnd) error {
	write, err := s.outcomeWrite(o)
	if err != nil {
		return err
	}
	return s.endClaimed(ctx, "record outcome", write, id, end, false)
}

// ReleaseClaimed gives back to River a claimed job whose action never
// started (it waited too long for a worker), as if it had not been
// claimed: available now, its attempt count as before the claim, and its
// outcome o (pending, no attempts), in one write.
func (s *Store) ReleaseClaimed(ctx context.Context, o Outcome, id int64) error {
	write, err := s.outcomeWrite(o)
	if err != nil {
		return err
	}
	return s.endClaimed(ctx, "release job", write, id, JobEnd{}, true)
}

// endClaimed ends the claimed job id as end says (release: also undoing
// the claim's attempt) and writes its outcome, when given, in the same
// grouped transaction. The job is changed only while it is running; when
// it is not, nothing is written (the outcome is then another attempt's)
// and the answer is ErrNotClaimed.
func (s *Store) endClaimed(ctx context.Context, op string, outcome func(ctx context.Context, tx querier) error, id int64, end JobEnd, release bool) error {
	now := time.Now()
	state, column, at := "available", "scheduled_at", now
	switch {
	case end.Cancelled:
		state, column = "cancelled", "finalized_at"
	case end.Completed:
		state, column = "completed", "finalized_at"
	case end.RunAt.After(now):
		state, at = "scheduled", end.RunAt
	}
	undo := ""
	if release {
		undo = ", attempt = attempt - 1"
	}
	q := `UPDATE river_job SET state = '` + state + `', ` + column + ` = $2` + undo + ` WHERE id = $1 AND state = 'running'`
	err := s.grouped(ctx, func(ctx context.Context, tx querier, jobs txJobs) error {
		n, err := tx.exec(ctx, q, id, s.riverTime(at))
		switch {
		case err != nil:
			return err
		case n == 0:
			return ErrNotClaimed
		case state == "available":
			jobs.madeAvailable()
		}
		if outcome == nil {
			return nil
		}
		return outcome(ctx, tx)
	})
	switch {
	case errors.Is(err, ErrNotClaimed):
		return ErrNotClaimed
	case err != nil:
		return unavailable(op, err)
	}
	return nil
}

// RescueAfter is how long a job may be running before River presumes it
// dead and runs it again (Options.RescueAfter, defaulted).
func (s *Store) RescueAfter() time.Duration { return s.opts.RescueAfter }

// riverTime is t as River's tables hold it: riversqlite compares its
// times as text in exactly this format.
func (s *Store) riverTime(t time.Time) any {
	if s.opts.Driver == DriverSQLite {
		return t.UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.000")
	}
	return t.UTC()
}

// JobTimeout is how long a job may run (Options.JobTimeout, defaulted),
// for a caller that runs claimed jobs itself.
func (s *Store) JobTimeout() time.Duration { return s.opts.JobTimeout }

// MaxWorkers is how many jobs River runs at once (Options.MaxWorkers,
// defaulted).
func (s *Store) MaxWorkers() int { return s.opts.MaxWorkers }
