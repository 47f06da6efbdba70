package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// maxReplayTries bounds the search for a free replay id.
const maxReplayTries = 100

// ReplayDelivery stores a copy of delivery id as a new delivery
// "<id>.replay-<n>" (the next free n) whose ReplayOf is id, received at
// `at`, and queues its processing, in one transaction: the current rules
// then run on it, and its actions have their own unique keys. It returns
// the new id, or ErrNotFound.
func (s *Store) ReplayDelivery(ctx context.Context, id string, at time.Time) (string, error) {
	var newID string
	err := s.q.inTx(ctx, true, func(ctx context.Context, tx querier, jobs txJobs) error {
		var d Delivery
		err := tx.queryRow(ctx, `SELECT event, payload, hook_id, user_agent FROM deliveries WHERE id = $1`, id).
			Scan(&d.Event, &d.Payload, &d.HookID, &d.UserAgent)
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM deliveries WHERE replay_of = $1`, id).Scan(&n); err != nil {
			return err
		}
		for try := 0; try < maxReplayTries; try++ {
			n++
			cand := id + ".replay-" + strconv.Itoa(n)
			rs, err := tx.query(ctx, `INSERT INTO deliveries (id, event, payload, received_at, hook_id, user_agent, replay_of)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING id`,
				cand, d.Event, d.Payload, s.dialect.timeArg(at), d.HookID, d.UserAgent, id)
			if err != nil {
				return err
			}
			got := rs.Next()
			rs.Close()
			if err := rs.Err(); err != nil {
				return err
			}
			if got {
				newID = cand
				_, err := jobs.insertFast(ctx, []river.InsertManyParams{{Args: ProcessDeliveryArgs{Delivery: cand, Event: d.Event}}})
				return err
			}
		}
		return fmt.Errorf("no free replay id for %s after %d tries", id, maxReplayTries)
	})
	if errors.Is(err, ErrNotFound) {
		return "", err
	}
	if err != nil {
		return "", unavailable("replay", err)
	}
	return newID, nil
}

// NotRetryableError is RetryAction's answer for an action that is not
// failed or cancelled.
type NotRetryableError struct {
	State string // the action's state (a State* value)
}

// Error says the state and what can be retried.
func (e *NotRetryableError) Error() string {
	return "action is " + e.State + "; only a failed or cancelled action can be retried"
}

// rawArgs re-inserts a stored job: its kind and its JSON arguments.
type rawArgs struct {
	kind string
	args json.RawMessage
}

// Kind is the stored job kind.
func (r rawArgs) Kind() string { return r.kind }

// MarshalJSON gives the stored arguments as they were.
func (r rawArgs) MarshalJSON() ([]byte, error) { return r.args, nil }

// RetryAction makes a failed or cancelled action run again now, with a
// fresh retry budget: its outcome goes back to pending and its queue job
// is made available (or queued again from the stored arguments if the
// queue no longer holds it, or still has it running), in one transaction. ErrNotFound for an
// unknown action (or one whose delivery retention removed);
// *NotRetryableError when it is queued, running, retrying or succeeded.
func (s *Store) RetryAction(ctx context.Context, actionID string) error {
	err := s.q.inTx(ctx, false, func(ctx context.Context, tx querier, jobs txJobs) error {
		var (
			delivery, rule, raw, state, kind, args string
			index                                  int
			jobID                                  int64
		)
		err := tx.queryRow(ctx, `SELECT o.delivery_id, o.rule_name, o.action_index, o.state, `+actionStateSQL+`,
			o.job_id, o.job_kind, o.job_args
			FROM `+actionsJoinSQL+` JOIN deliveries d ON d.id = o.delivery_id
			WHERE o.action_id = $1`, actionID).Scan(&delivery, &rule, &index, &raw, &state, &jobID, &kind, &args)
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if state != StateFailed && state != StateCancelled {
			return &NotRetryableError{State: state}
		}
		n, err := tx.exec(ctx, `UPDATE action_outcomes SET state = $1, attempt_base = attempts, next_attempt_at = NULL, updated_at = $2
			WHERE action_id = $3 AND state = $4`, OutcomePending, s.dialect.timeArg(time.Now()), actionID, raw)
		if err != nil {
			return err
		}
		if n == 0 {
			return &NotRetryableError{State: StateRunning} // changed under us
		}
		if jobID != 0 {
			// A job River has not yet marked finished (its completion is
			// written in batches, after the outcome) is left alone by
			// JobRetry: it ends as it was, so a new job runs the action.
			made, err := jobs.retry(ctx, jobID)
			if err != nil && !errors.Is(err, rivertype.ErrNotFound) {
				return err
			}
			if made {
				return nil
			}
		}
		if kind == "" || args == "" {
			return fmt.Errorf("action %s has no stored job to queue again", actionID)
		}
		res, err := jobs.insert(ctx, []river.InsertManyParams{{
			Args:       rawArgs{kind: kind, args: json.RawMessage(args)},
			InsertOpts: &river.InsertOpts{MaxAttempts: 1000},
		}})
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE action_outcomes SET job_id = $1 WHERE action_id = $2`, res[0].Job.ID, actionID)
		return err
	})
	var nr *NotRetryableError
	if errors.Is(err, ErrNotFound) || errors.As(err, &nr) {
		return err
	}
	if err != nil {
		return unavailable("retry action", err)
	}
	return nil
}
