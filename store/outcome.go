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
}

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
	if o.Delivery == "" || o.Rule == "" || o.Index < 0 {
		return fmt.Errorf("store: outcome needs a delivery, a rule and an index >= 0")
	}
	if !validState(o.State) {
		return fmt.Errorf("store: outcome state %q is not one of pending, running, retrying, unconfirmed, succeeded, failed, cancelled", o.State)
	}
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = time.Now()
	}
	_, err := s.q.pool().exec(ctx, `
		INSERT INTO action_outcomes
			(delivery_id, rule_name, action_index, kind, state, attempts, last_error, detail, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (delivery_id, rule_name, action_index) DO UPDATE SET
			kind = excluded.kind, state = excluded.state, attempts = excluded.attempts,
			last_error = excluded.last_error, detail = excluded.detail, updated_at = excluded.updated_at`,
		o.Delivery, o.Rule, o.Index, o.Kind, o.State, o.Attempts, o.LastError, o.Detail, s.dialect.timeArg(o.UpdatedAt))
	if err != nil {
		return unavailable("record outcome", err)
	}
	return nil
}

const outcomeColumns = `delivery_id, rule_name, action_index, kind, state, attempts, last_error, detail, updated_at`

func scanOutcome(r row) (Outcome, error) {
	var (
		o  Outcome
		at timeValue
	)
	err := r.Scan(&o.Delivery, &o.Rule, &o.Index, &o.Kind, &o.State, &o.Attempts, &o.LastError, &o.Detail, &at)
	o.UpdatedAt = at.t
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
