package store

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Delivery statuses the history shows (DeliverySummary.Status), the first
// that applies.
const (
	StatusQueued    = "queued"    // the rules have not run on it yet
	StatusRunning   = "running"   // some action is queued, running or retrying
	StatusFailed    = "failed"    // some action failed or was cancelled
	StatusError     = "error"     // processing reported errors
	StatusSucceeded = "succeeded" // every action succeeded
	StatusNoMatch   = "no_match"  // processed, no action queued
)

// Statuses lists the delivery statuses, in the order they are decided.
func Statuses() []string {
	return []string{StatusQueued, StatusRunning, StatusFailed, StatusError, StatusSucceeded, StatusNoMatch}
}

// Action states the history shows.
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateRetrying  = "retrying"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// ActionCounts is how many actions of a delivery are in each state.
type ActionCounts struct {
	Queued, Running, Retrying, Succeeded, Failed, Cancelled int
}

// DeliverySummary is one delivery in a list.
type DeliverySummary struct {
	ID, Event, Action, Repo, Sender string
	ReceivedAt                      time.Time
	Status                          string
	ReplayOf                        string
	RulesMatched                    int
	Actions                         ActionCounts
}

// DeliveryFilter selects deliveries; empty fields select all.
type DeliveryFilter struct {
	Repo   string // owner/name, case-insensitive
	Event  string
	Status string // one of Statuses()
	Text   string // case-insensitive substring of id, event, action, repo or sender
	Limit  int    // 1..MaxPageSize; 0 is DefaultPageSize
	Cursor string // a NextCursor, or "" for the newest
}

// Page sizes of ListDeliveries.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// ErrBadCursor is returned for a cursor ListDeliveries did not make.
var ErrBadCursor = errors.New("store: bad cursor")

// DeliveryPage is one page of deliveries, newest first.
type DeliveryPage struct {
	Deliveries []DeliverySummary
	NextCursor string // "" on the last page
}

// actionStateSQL is the history's state of an action row o, joined with its
// queue job j: an action not finished whose job was cancelled or discarded
// is cancelled.
const actionStateSQL = `CASE
	WHEN o.state IN ('pending', 'running', 'retrying', 'unconfirmed') AND j.state IN ('cancelled', 'discarded') THEN 'cancelled'
	WHEN o.state = 'pending' THEN 'queued'
	WHEN o.state = 'unconfirmed' THEN 'retrying'
	ELSE o.state END`

const actionsJoinSQL = `action_outcomes o LEFT JOIN river_job j ON j.id = o.job_id`

// summaryColumns and summaryFrom read a delivery summary: the delivery d
// and what processing found, r (none before processing).
const (
	summaryColumns = `d.id, d.event, COALESCE(r.action, ''), COALESCE(r.repo, ''), COALESCE(r.sender, ''), d.received_at,
		d.replay_of, COALESCE(r.rules_matched, 0), COALESCE(r.status, '')`
	summaryFrom = `deliveries d LEFT JOIN delivery_results r ON r.delivery_id = d.id`
)

// statusSQL is the condition that delivery d (with results r) has status st.
func statusSQL(st string) string {
	has := func(states ...string) string {
		return `EXISTS (SELECT 1 FROM ` + actionsJoinSQL + ` WHERE o.delivery_id = d.id AND (` + actionStateSQL + `) IN ('` + strings.Join(states, `', '`) + `'))`
	}
	active := has(StateQueued, StateRunning, StateRetrying)
	failed := has(StateFailed, StateCancelled)
	any := `EXISTS (SELECT 1 FROM action_outcomes o WHERE o.delivery_id = d.id)`
	processed := `COALESCE(r.status, '') <> ''`
	switch st {
	case StatusQueued:
		return `COALESCE(r.status, '') = ''`
	case StatusRunning:
		return processed + ` AND ` + active
	case StatusFailed:
		return processed + ` AND NOT ` + active + ` AND ` + failed
	case StatusError:
		return processed + ` AND NOT ` + active + ` AND NOT ` + failed + ` AND r.status = '` + ProcessedError + `'`
	case StatusSucceeded:
		return processed + ` AND NOT ` + active + ` AND NOT ` + failed + ` AND r.status <> '` + ProcessedError + `' AND ` + any
	case StatusNoMatch:
		return processed + ` AND r.status <> '` + ProcessedError + `' AND NOT ` + any
	}
	return "1 = 0"
}

// statusOf decides a delivery's status from its processing status and its
// action counts, as statusSQL does.
func statusOf(processStatus string, c ActionCounts) string {
	switch {
	case processStatus == "":
		return StatusQueued
	case c.Queued+c.Running+c.Retrying > 0:
		return StatusRunning
	case c.Failed+c.Cancelled > 0:
		return StatusFailed
	case processStatus == ProcessedError:
		return StatusError
	case c.Succeeded > 0:
		return StatusSucceeded
	}
	return StatusNoMatch
}

func validStatus(st string) bool {
	for _, s := range Statuses() {
		if s == st {
			return true
		}
	}
	return false
}

// encodeCursor makes the cursor after (at, id): opaque to callers.
func encodeCursor(at time.Time, id string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10))) + "." + enc.EncodeToString([]byte(id))
}

func decodeCursor(c string) (time.Time, string, error) {
	a, b, ok := strings.Cut(c, ".")
	if !ok {
		return time.Time{}, "", ErrBadCursor
	}
	enc := base64.RawURLEncoding
	ab, err1 := enc.DecodeString(a)
	bb, err2 := enc.DecodeString(b)
	if err1 != nil || err2 != nil || len(bb) == 0 {
		return time.Time{}, "", ErrBadCursor
	}
	us, err := strconv.ParseInt(string(ab), 10, 64)
	if err != nil || us < 0 {
		return time.Time{}, "", ErrBadCursor
	}
	return time.UnixMicro(us).UTC(), string(bb), nil
}

// likeEscape quotes s for LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ListDeliveries returns one page of the deliveries f selects, newest first
// (by received time, then id). Paging is by position, so deliveries stored
// while a caller pages do not shift its pages. ErrBadCursor for a cursor
// not made here; an unknown status selects nothing.
func (s *Store) ListDeliveries(ctx context.Context, f DeliveryFilter) (*DeliveryPage, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultPageSize
	}
	f.Limit = min(f.Limit, MaxPageSize)
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Repo != "" {
		where = append(where, `lower(r.repo) = `+arg(strings.ToLower(f.Repo)))
	}
	if f.Event != "" {
		where = append(where, `d.event = `+arg(f.Event))
	}
	if f.Status != "" {
		if !validStatus(f.Status) {
			return &DeliveryPage{}, nil
		}
		where = append(where, statusSQL(f.Status))
	}
	if f.Text != "" {
		p := arg("%" + likeEscape(strings.ToLower(f.Text)) + "%")
		var ors []string
		for _, c := range []string{"d.id", "d.event", "COALESCE(r.action, '')", "COALESCE(r.repo, '')", "COALESCE(r.sender, '')"} {
			ors = append(ors, `lower(`+c+`) LIKE `+p+` ESCAPE '\'`)
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		ta, ia := arg(s.dialect.timeArg(at)), arg(id)
		where = append(where, `(d.received_at < `+ta+` OR (d.received_at = `+ta+` AND d.id < `+ia+`))`)
	}
	q := `SELECT ` + summaryColumns + ` FROM ` + summaryFrom
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY d.received_at DESC, d.id DESC LIMIT ` + arg(f.Limit+1)
	rs, err := s.q.pool().query(ctx, q, args...)
	if err != nil {
		return nil, unavailable("list deliveries", err)
	}
	var (
		list     []DeliverySummary
		statuses []string
	)
	for rs.Next() {
		var (
			d  DeliverySummary
			at timeValue
			ps string
		)
		if err := rs.Scan(&d.ID, &d.Event, &d.Action, &d.Repo, &d.Sender, &at, &d.ReplayOf, &d.RulesMatched, &ps); err != nil {
			rs.Close()
			return nil, unavailable("list deliveries", err)
		}
		d.ReceivedAt = at.t
		list = append(list, d)
		statuses = append(statuses, ps)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, unavailable("list deliveries", err)
	}
	page := &DeliveryPage{}
	if len(list) > f.Limit {
		list, statuses = list[:f.Limit], statuses[:f.Limit]
		last := list[len(list)-1]
		page.NextCursor = encodeCursor(last.ReceivedAt, last.ID)
	}
	ids := make([]string, len(list))
	for i, d := range list {
		ids[i] = d.ID
	}
	counts, err := s.actionCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Actions = counts[list[i].ID]
		list[i].Status = statusOf(statuses[i], list[i].Actions)
	}
	page.Deliveries = list
	return page, nil
}

// actionCounts counts the actions of each delivery by state.
func (s *Store) actionCounts(ctx context.Context, ids []string) (map[string]ActionCounts, error) {
	out := make(map[string]ActionCounts, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rs, err := s.q.pool().query(ctx, `SELECT o.delivery_id, `+actionStateSQL+` AS st, COUNT(*) FROM `+actionsJoinSQL+`
		WHERE o.delivery_id IN (`+placeholders(1, len(ids))+`) GROUP BY o.delivery_id, st`, args...)
	if err != nil {
		return nil, unavailable("count actions", err)
	}
	defer rs.Close()
	for rs.Next() {
		var (
			id, st string
			n      int
		)
		if err := rs.Scan(&id, &st, &n); err != nil {
			return nil, unavailable("count actions", err)
		}
		c := out[id]
		switch st {
		case StateQueued:
			c.Queued += n
		case StateRunning:
			c.Running += n
		case StateRetrying:
			c.Retrying += n
		case StateSucceeded:
			c.Succeeded += n
		case StateFailed:
			c.Failed += n
		case StateCancelled:
			c.Cancelled += n
		}
		out[id] = c
	}
	if err := rs.Err(); err != nil {
		return nil, unavailable("count actions", err)
	}
	return out, nil
}
