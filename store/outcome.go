package store

import (
	"context"
	"fmt"
	"time"
)

// Outcome states.
const (
	OutcomePending  = "pending"
	OutcomeRunning  = "running"
	OutcomeRetrying = "retrying"
	// OutcomeUnconfirmed is a retry whose last attempt may have acted (a
	// request that reached the service but got no answer): the next attempt
	// checks before acting again.
	OutcomeUnconfirmed = "unconfirmed"
	OutcomeSucceeded   = "succeeded"
	OutcomeFailed      = "failed"
	// OutcomeCancelled is an action that never ran, or whose build was
	// cancelled, because a newer event superseded it (supersede: true); its
	// LastError says "superseded by <short sha>". The history also shows an
	// action as cancelled when its queue job was cancelled or discarded
	// before the action finished.
	OutcomeCancelled = "cancelled"
)

// Outcome is the recorded state of one action of one delivery: the action at
// Index in the do: list of Rule.
type Outcome struct {
	Delivery  string
	Rule      string
	Index     int
	Kind      string // jenkins, slack, ...
	State     string // one of the Outcome* states
	Attempts  int
	LastError string
	Detail    string // e.g. the Jenkins queue item URL
	UpdatedAt time.Time

	// AttemptBase is Attempts when an operator last retried the action by
	// hand: the retry budget counts from there. Only RetryAction sets it.
	AttemptBase int
	// Links are what the action created (a Jenkins build, a comment), by
	// name. RecordOutcome replaces the stored links only when Links is not
	// nil.
	Links map[string]string
	// NextAttemptAt is when a retrying action runs again; zero otherwise.
	NextAttemptAt time.Time
	// Attempt, when set, is recorded (or replaced, by its N) in the same
	// transaction: a finished attempt, or one found interrupted.
	Attempt *Attempt
}

// ID is the action's id (ActionID).
func (o *Outcome) ID() string { return ActionID(o.Delivery, o.Rule, o.Index) }

func validState(s string) bool {
	switch s {
	case OutcomePending, OutcomeRunning, OutcomeRetrying, OutcomeUnconfirmed, OutcomeSucceeded, OutcomeFailed, OutcomeCancelled:
		return true
	}
	return false
}

// RecordOutcome inserts or replaces the outcome keyed by (Delivery, Rule,
// Index). A zero UpdatedAt is set to now.
func (s *Store) RecordOutcome(ctx context.Context, o Outcome) error {
	write, err := s.outcomeWrite(o)
	if err != nil {
		return err
	}
	if err := s.grouped(ctx, func(ctx context.Context, tx querier, _ txJobs) error { return write(ctx, tx) }); err != nil {
		return unavailable("record outcome", err)
	}
	return nil
}

// outcomeWrite checks o and returns the statements that record it.
func (s *Store) outcomeWrite(o Outcome) (func(ctx context.Context, tx querier) error, error) {
	if o.Delivery == "" || o.Rule == "" || o.Index < 0 {
		return nil, fmt.Errorf("store: outcome needs a delivery, a rule and an index >= 0")
	}
	if !validState(o.State) {
		return nil, fmt.Errorf("store: outcome state %q is not one of pending, running, retrying, unconfirmed, succeeded, failed, cancelled", o.State)
	}
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = time.Now()
	}
	links, err := encodeLinks(o.Links)
	if err != nil {
		return nil, fmt.Errorf("store: encode links: %w", err)
	}
	var next any
	if !o.NextAttemptAt.IsZero() {
		next = s.dialect.timeArg(o.NextAttemptAt)
	}
	id := o.ID()
	const upsert = `
		INSERT INTO action_outcomes
			(delivery_id, rule_name, action_index, kind, state, attempts, last_error, detail, updated_at,
			 action_id, links, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (delivery_id, rule_name, action_index) DO UPDATE SET
			kind = excluded.kind, state = excluded.state, attempts = excluded.attempts,
			last_error = excluded.last_error, detail = excluded.detail, updated_at = excluded.updated_at,
			action_id = excluded.action_id, next_attempt_at = excluded.next_attempt_at,
			links = CASE WHEN $13 THEN excluded.links ELSE action_outcomes.links END`
	args := []any{o.Delivery, o.Rule, o.Index, o.Kind, o.State, o.Attempts, o.LastError, o.Detail, s.dialect.timeArg(o.UpdatedAt),
		id, links, next, o.Links != nil}
	a := o.Attempt
	return func(ctx context.Context, tx querier) error {
		if _, err := tx.exec(ctx, upsert, args...); err != nil || a == nil {
			return err
		}
		_, err := tx.exec(ctx, `
			INSERT INTO action_attempts (action_id, n, delivery_id, started_at, duration_ms, outcome, error)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (action_id, n) DO UPDATE SET
				started_at = excluded.started_at, duration_ms = excluded.duration_ms,
				outcome = excluded.outcome, error = excluded.error`,
			id, a.N, o.Delivery, s.dialect.timeArg(a.StartedAt), a.Duration.Milliseconds(), a.Outcome, a.Error)
		return err
	}, nil
}

const outcomeColumns = `delivery_id, rule_name, action_index, kind, state, attempts, last_error, detail, updated_at,
	attempt_base, links, next_attempt_at`

func scanOutcome(r row) (Outcome, error) {
	var (
		o     Outcome
		at    timeValue
		next  nullTime
		links string
	)
	err := r.Scan(&o.Delivery, &o.Rule, &o.Index, &o.Kind, &o.State, &o.Attempts, &o.LastError, &o.Detail, &at,
		&o.AttemptBase, &links, &next)
	o.UpdatedAt, o.NextAttemptAt = at.t, next.t
	o.Links = decodeLinks(links)
	return o, err
}

// Outcome returns one recorded outcome, or ErrNotFound.
func (s *Store) Outcome(ctx context.Context, delivery, rule string, idx int) (*Outcome, error) {
	o, err := scanOutcome(s.q.pool().queryRow(ctx,
		`SELECT `+outcomeColumns+` FROM action_outcomes
		 WHERE delivery_id = $1 AND rule_name = $2 AND action_index = $3`, delivery, rule, idx))
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable("read outcome", err)
	}
	return &o, nil
}

// Outcomes returns the outcomes of one delivery, or of all deliveries when
// delivery is "", ordered by delivery, rule and index.
func (s *Store) Outcomes(ctx context.Context, delivery string) ([]Outcome, error) {
	q := `SELECT ` + outcomeColumns + ` FROM action_outcomes`
	var args []any
	if delivery != "" {
		q += ` WHERE delivery_id = $1`
		args = append(args, delivery)
	}
	q += ` ORDER BY delivery_id, rule_name, action_index`
	rs, err := s.q.pool().query(ctx, q, args...)
	if err != nil {
		return nil, unavailable("read outcomes", err)
	}
	defer rs.Close()
	var out []Outcome
	for rs.Next() {
		o, err := scanOutcome(rs)
		if err != nil {
			return nil, unavailable("read outcomes", err)
		}
		out = append(out, o)
	}
	if err := rs.Err(); err != nil {
		return nil, unavailable("read outcomes", err)
	}
	return out, nil
}
