package store

import (
	"context"
	"time"
)

// DefaultDeleteBatch is how many rows one retention DELETE removes when the
// caller asks for no other size: small enough that no statement holds its
// locks (on SQLite, the one write lock intake needs) for long.
const DefaultDeleteBatch = 500

// DeleteDeliveriesBefore deletes the deliveries received before t, with
// their history (what processing found, the attempts of their actions), batch rows per
// transaction, each committed on its own, until none is left or ctx ends.
// It returns how many deliveries were deleted, also when it fails part way.
//
// A delivery is deleted by age alone, even if its processing job has not
// run: with a retention of days that job has long been discarded or
// cancelled, and a process job that finds its delivery gone cancels itself.
// Its action outcomes go by DeleteFinishedOutcomesBefore.
func (s *Store) DeleteDeliveriesBefore(ctx context.Context, t time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = DefaultDeleteBatch
	}
	cutoff := s.dialect.timeArg(t)
	const pick = `SELECT id FROM deliveries WHERE received_at < $1 ORDER BY received_at LIMIT $2`
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, unavailable("delete deliveries", err)
		}
		var n int64
		err := s.q.inTx(ctx, false, func(ctx context.Context, tx querier, _ txJobs) error {
			for _, table := range []string{"action_attempts", "delivery_results"} {
				if _, err := tx.exec(ctx, `DELETE FROM `+table+` WHERE delivery_id IN (`+pick+`)`, cutoff, batch); err != nil {
					return err
				}
			}
			var err error
			n, err = tx.exec(ctx, `DELETE FROM deliveries WHERE id IN (`+pick+`)`, cutoff, batch)
			return err
		})
		if err != nil {
			return total, unavailable("delete deliveries", err)
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}

// DeleteFinishedOutcomesBefore deletes the action outcomes in a final state
// (succeeded, failed, cancelled) last updated before t, in batches as
// DeleteDeliveriesBefore does. Outcomes of actions still pending, running or
// retrying are kept whatever their age.
func (s *Store) DeleteFinishedOutcomesBefore(ctx context.Context, t time.Time, batch int) (int64, error) {
	return s.deleteBatches(ctx, "delete outcomes", `
		DELETE FROM action_outcomes WHERE (delivery_id, rule_name, action_index) IN (
			SELECT delivery_id, rule_name, action_index FROM action_outcomes
			WHERE state IN ('`+OutcomeSucceeded+`', '`+OutcomeFailed+`', '`+OutcomeCancelled+`') AND updated_at < $1 LIMIT $2)`, t, batch)
}

// DeleteRedeliveriesBefore deletes the redelivery records claimed before t,
// in batches as DeleteDeliveriesBefore does.
func (s *Store) DeleteRedeliveriesBefore(ctx context.Context, t time.Time, batch int) (int64, error) {
	return s.deleteBatches(ctx, "delete redeliveries", `
		DELETE FROM redeliveries WHERE guid IN (
			SELECT guid FROM redeliveries WHERE claimed_at < $1 LIMIT $2)`, t, batch)
}

// deleteBatches runs stmt (args: the cut-off time, the batch size) until it
// deletes fewer rows than a batch.
func (s *Store) deleteBatches(ctx context.Context, op, stmt string, t time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = DefaultDeleteBatch
	}
	cutoff := s.dialect.timeArg(t)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, unavailable(op, err)
		}
		n, err := s.q.pool().exec(ctx, stmt, cutoff, batch)
		if err != nil {
			return total, unavailable(op, err)
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}
