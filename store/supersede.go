package store

import (
	"context"
	"fmt"
	"time"
)

// Head is the newest event of one rule's work on one branch or pull
// request, for rules with supersede: true.
type Head struct {
	Delivery string
	SHA      string
	// Before is the commit the event moved from (push and
	// pull_request.synchronize "before"), when known: an event whose Before
	// is another's SHA is the newer of the two, whatever their times say.
	Before string
	// At is the event's own time (push: repository.pushed_at; pull
	// request: updated_at), not when it was delivered.
	At time.Time
}

// supersedeMigration creates the table of heads (migration 4).
func supersedeMigration(d dialect) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS supersede_heads (
			rule_name   TEXT NOT NULL,
			work_key    TEXT NOT NULL,
			delivery_id TEXT NOT NULL,
			sha         TEXT NOT NULL,
			before_sha  TEXT NOT NULL DEFAULT '',
			event_at    ` + d.timeType + ` NOT NULL,
			PRIMARY KEY (rule_name, work_key)
		)`,
	}
}

// newer reports whether h is newer work than cur.
func (h Head) newer(cur Head) bool {
	switch {
	case h.Delivery == cur.Delivery:
		return false
	case h.Before != "" && h.Before == cur.SHA && h.SHA != cur.SHA:
		return true
	case cur.Before != "" && cur.Before == h.SHA:
		return false
	}
	return h.At.After(cur.At)
}

// ClaimHead makes h the head of rule's work key when there is none yet or
// h is newer than the one recorded, and returns the head after the claim
// (h itself, or the newer head that h lost to). Replicas claiming at once
// agree: a head is replaced only if it is still the one read.
func (s *Store) ClaimHead(ctx context.Context, rule, key string, h Head) (Head, error) {
	if rule == "" || key == "" || h.Delivery == "" {
		return Head{}, fmt.Errorf("store: a head needs a rule, a key and a delivery")
	}
	var out Head
	for try := 0; try < 5; try++ {
		done := false
		err := s.q.inTx(ctx, true, func(ctx context.Context, tx querier, _ txJobs) error {
			n, err := tx.exec(ctx, `INSERT INTO supersede_heads (rule_name, work_key, delivery_id, sha, before_sha, event_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (rule_name, work_key) DO NOTHING`,
				rule, key, h.Delivery, h.SHA, h.Before, s.dialect.timeArg(h.At))
			if err != nil {
				return err
			}
			if n == 1 {
				out, done = h, true
				return nil
			}
			cur, err := readHead(ctx, tx, rule, key)
			if err != nil {
				return err
			}
			if !h.newer(cur) {
				out, done = cur, true
				return nil
			}
			n, err = tx.exec(ctx, `UPDATE supersede_heads SET delivery_id = $1, sha = $2, before_sha = $3, event_at = $4
				WHERE rule_name = $5 AND work_key = $6 AND delivery_id = $7`,
				h.Delivery, h.SHA, h.Before, s.dialect.timeArg(h.At), rule, key, cur.Delivery)
			if err != nil {
				return err
			}
			out, done = h, n == 1
			return nil
		})
		if err != nil {
			return Head{}, unavailable("claim head", err)
		}
		if done {
			return out, nil
		}
	}
	return Head{}, unavailable("claim head", fmt.Errorf("the head of %s %s kept changing", rule, key))
}

// CurrentHead returns the head of rule's work key, or ErrNotFound.
func (s *Store) CurrentHead(ctx context.Context, rule, key string) (*Head, error) {
	h, err := readHead(ctx, s.q.pool(), rule, key)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable("read head", err)
	}
	return &h, nil
}

func readHead(ctx context.Context, q querier, rule, key string) (Head, error) {
	var (
		h  Head
		at timeValue
	)
	err := q.queryRow(ctx, `SELECT delivery_id, sha, before_sha, event_at FROM supersede_heads
		WHERE rule_name = $1 AND work_key = $2`, rule, key).Scan(&h.Delivery, &h.SHA, &h.Before, &at)
	h.At = at.t
	return h, err
}
