package store

import (
	"context"
	"encoding/json"
	"time"
)

// ActionRecord is one action of a delivery with its history.
type ActionRecord struct {
	ID            string
	Rule          string
	Kind          string
	Index         int
	State         string // one of the State* values
	Params        json.RawMessage
	Attempts      []Attempt
	NextAttemptAt time.Time
	Links         map[string]string
}

// DeliveryDetail is one delivery with everything recorded about it.
type DeliveryDetail struct {
	DeliverySummary
	HookID, UserAgent string
	Payload           []byte
	ProcessedAt       time.Time // zero while queued
	ProcessError      string
	Rules             []RuleRecord
	ActionList        []ActionRecord
}

// DeliveryHistory returns the delivery with its explanations and actions,
// or ErrNotFound.
func (s *Store) DeliveryHistory(ctx context.Context, id string) (*DeliveryDetail, error) {
	var (
		d       DeliveryDetail
		at      timeValue
		pat     nullTime
		ps, exj string
	)
	err := s.q.pool().queryRow(ctx, `SELECT `+summaryColumns+`, COALESCE(r.error, ''), r.processed_at,
		COALESCE(r.explanation, ''), d.hook_id, d.user_agent, d.payload
		FROM `+summaryFrom+` WHERE d.id = $1`, id).Scan(&d.ID, &d.Event, &d.Action, &d.Repo, &d.Sender, &at, &d.ReplayOf,
		&d.RulesMatched, &ps, &d.ProcessError, &pat, &exj, &d.HookID, &d.UserAgent, &d.Payload)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable("read delivery", err)
	}
	d.ReceivedAt, d.ProcessedAt = at.t, pat.t
	if exj != "" {
		if err := json.Unmarshal([]byte(exj), &d.Rules); err != nil {
			return nil, unavailable("read delivery", err)
		}
	}
	if d.Rules == nil {
		d.Rules = []RuleRecord{}
	}

	rs, err := s.q.pool().query(ctx, `SELECT o.action_id, o.rule_name, o.kind, o.action_index, `+actionStateSQL+`,
		o.params, o.links, o.next_attempt_at FROM `+actionsJoinSQL+`
		WHERE o.delivery_id = $1 ORDER BY o.seq, o.rule_name, o.action_index`, id)
	if err != nil {
		return nil, unavailable("read actions", err)
	}
	byID := map[string]int{}
	for rs.Next() {
		var (
			a      ActionRecord
			params string
			links  string
			next   nullTime
		)
		if err := rs.Scan(&a.ID, &a.Rule, &a.Kind, &a.Index, &a.State, &params, &links, &next); err != nil {
			rs.Close()
			return nil, unavailable("read actions", err)
		}
		if a.ID == "" {
			a.ID = ActionID(id, a.Rule, a.Index)
		}
		if params != "" {
			a.Params = json.RawMessage(params)
		}
		a.Links, a.NextAttemptAt = decodeLinks(links), next.t
		if a.State != StateRetrying {
			a.NextAttemptAt = time.Time{}
		}
		byID[a.ID] = len(d.ActionList)
		d.ActionList = append(d.ActionList, a)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, unavailable("read actions", err)
	}

	rs, err = s.q.pool().query(ctx, `SELECT action_id, n, started_at, duration_ms, outcome, error
		FROM action_attempts WHERE delivery_id = $1 ORDER BY action_id, n`, id)
	if err != nil {
		return nil, unavailable("read attempts", err)
	}
	defer rs.Close()
	for rs.Next() {
		var (
			aid string
			a   Attempt
			st  timeValue
			ms  int64
		)
		if err := rs.Scan(&aid, &a.N, &st, &ms, &a.Outcome, &a.Error); err != nil {
			return nil, unavailable("read attempts", err)
		}
		a.StartedAt, a.Duration = st.t, time.Duration(ms)*time.Millisecond
		if i, ok := byID[aid]; ok {
			d.ActionList[i].Attempts = append(d.ActionList[i].Attempts, a)
		}
	}
	if err := rs.Err(); err != nil {
		return nil, unavailable("read attempts", err)
	}
	var c ActionCounts
	for _, a := range d.ActionList {
		switch a.State {
		case StateQueued:
			c.Queued++
		case StateRunning:
			c.Running++
		case StateRetrying:
			c.Retrying++
		case StateSucceeded:
			c.Succeeded++
		case StateFailed:
			c.Failed++
		case StateCancelled:
			c.Cancelled++
		}
	}
	d.Actions = c
	d.Status = statusOf(ps, c)
	return &d, nil
}
