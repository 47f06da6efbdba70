package store

import (
	"context"
	"fmt"
	"time"
)

// Redelivery states.
const (
	// RedeliveryClaimed: a caller is asking GitHub to redeliver the event,
	// or died while asking.
	RedeliveryClaimed = "claimed"
	// RedeliveryAccepted: GitHub accepted the redelivery (202).
	RedeliveryAccepted = "accepted"
	// RedeliveryRefused: GitHub refused it for good (404, 422).
	RedeliveryRefused = "refused"
)

// Redelivery is the record of one event (GUID) the catch-up asked GitHub to
// deliver again.
type Redelivery struct {
	GUID string
	// HookDeliveryID is the delivery-log entry (the attempt) redelivered.
	HookDeliveryID int64
	State          string // one of the Redelivery* states
	Detail         string // why GitHub refused, when it did
	ClaimedAt      time.Time
	UpdatedAt      time.Time
}

// ClaimRedelivery records, before the call to GitHub, that the event guid
// is about to be redelivered through the log entry hookID. claimed is true
// when the caller may make the call: no record existed, or the record is a
// claim made before staleBefore that never got an answer (its claimant died
// between the claim and GitHub's answer). Otherwise claimed is false and
// existing is the record that stands: a finished redelivery, or a claim
// still in flight elsewhere.
//
// Each statement is atomic on its own, so of several passes or replicas
// claiming one GUID at once exactly one gets it.
func (s *Store) ClaimRedelivery(ctx context.Context, guid string, hookID int64, now, staleBefore time.Time) (claimed bool, existing *Redelivery, err error) {
	if guid == "" {
		return false, nil, fmt.Errorf("store: redelivery needs a GUID")
	}
	at := s.dialect.timeArg(now)
	n, err := s.q.pool().exec(ctx, `
		INSERT INTO redeliveries (guid, hook_delivery_id, state, detail, claimed_at, updated_at)
		VALUES ($1, $2, $3, '', $4, $4)
		ON CONFLICT (guid) DO NOTHING`, guid, hookID, RedeliveryClaimed, at)
	if err != nil {
		return false, nil, unavailable("claim redelivery", err)
	}
	if n == 1 {
		return true, nil, nil
	}
	n, err = s.q.pool().exec(ctx, `
		UPDATE redeliveries SET hook_delivery_id = $2, claimed_at = $3, updated_at = $3
		WHERE guid = $1 AND state = $4 AND claimed_at < $5`,
		guid, hookID, at, RedeliveryClaimed, s.dialect.timeArg(staleBefore))
	if err != nil {
		return false, nil, unavailable("claim redelivery", err)
	}
	if n == 1 {
		return true, nil, nil
	}
	r, err := s.Redelivery(ctx, guid)
	if err != nil {
		return false, nil, err
	}
	return false, r, nil
}

// FinishRedelivery records GitHub's answer to a claimed redelivery: state
// RedeliveryAccepted or RedeliveryRefused, with detail saying why it was
// refused.
func (s *Store) FinishRedelivery(ctx context.Context, guid, state, detail string, now time.Time) error {
	if state != RedeliveryAccepted && state != RedeliveryRefused {
		return fmt.Errorf("store: redelivery state %q is not %s or %s", state, RedeliveryAccepted, RedeliveryRefused)
	}
	_, err := s.q.pool().exec(ctx, `UPDATE redeliveries SET state = $2, detail = $3, updated_at = $4 WHERE guid = $1`,
		guid, state, detail, s.dialect.timeArg(now))
	if err != nil {
		return unavailable("finish redelivery", err)
	}
	return nil
}

// ReleaseRedelivery drops a claim whose call failed for a reason that may
// pass (a rate limit, a 5xx, no answer), so that a later pass asks again.
// A finished record is left as it is.
func (s *Store) ReleaseRedelivery(ctx context.Context, guid string) error {
	_, err := s.q.pool().exec(ctx, `DELETE FROM redeliveries WHERE guid = $1 AND state = $2`, guid, RedeliveryClaimed)
	if err != nil {
		return unavailable("release redelivery", err)
	}
	return nil
}

// Redelivery returns the record for guid, or ErrNotFound.
func (s *Store) Redelivery(ctx context.Context, guid string) (*Redelivery, error) {
	r := Redelivery{GUID: guid}
	var claimed, updated timeValue
	err := s.q.pool().queryRow(ctx, `
		SELECT hook_delivery_id, state, detail, claimed_at, updated_at FROM redeliveries WHERE guid = $1`, guid).
		Scan(&r.HookDeliveryID, &r.State, &r.Detail, &claimed, &updated)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable("read redelivery", err)
	}
	r.ClaimedAt, r.UpdatedAt = claimed.t, updated.t
	return &r, nil
}

// Mark returns the time stored under name, or the zero time when there is
// none.
func (s *Store) Mark(ctx context.Context, name string) (time.Time, error) {
	var at timeValue
	err := s.q.pool().queryRow(ctx, `SELECT at FROM maintenance_marks WHERE name = $1`, name).Scan(&at)
	if isNoRows(err) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, unavailable("read mark", err)
	}
	return at.t, nil
}

// SetMark stores t under name, replacing what was there.
func (s *Store) SetMark(ctx context.Context, name string, t time.Time) error {
	_, err := s.q.pool().exec(ctx, `
		INSERT INTO maintenance_marks (name, at) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET at = excluded.at`, name, s.dialect.timeArg(t))
	if err != nil {
		return unavailable("write mark", err)
	}
	return nil
}
