package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// jobCounts are River's jobs of one kind by state group.
type jobCounts struct {
	// Queued are jobs waiting to run: available, pending, scheduled or
	// retryable.
	Queued int64 `json:"queued"`
	// Running are jobs a worker holds.
	Running int64 `json:"running"`
	// Completed are jobs that finished (completed, cancelled or discarded).
	Completed int64 `json:"completed"`
}

// backlogSample is one reading of the queue.
type backlogSample struct {
	At    float64              `json:"at_s"` // since the load started
	Kinds map[string]jobCounts `json:"kinds"`
}

// backlog is queued + running over all kinds.
func (s backlogSample) backlog() int64 {
	var n int64
	for _, c := range s.Kinds {
		n += c.Queued + c.Running
	}
	return n
}

// backlogReport is what -backlog-db saw.
type backlogReport struct {
	Samples []backlogSample `json:"samples"`
	// PeakDuring is the largest backlog sampled while the load ran.
	PeakDuring int64 `json:"peak_during"`
	// AtEnd is the first sample after the load ended.
	AtEnd backlogSample `json:"at_end"`
	// EmptyAfter is how long after the end of the load the backlog was
	// first seen empty; negative when it was not within the wait.
	EmptyAfter float64 `json:"empty_after_s"`
	// Last is the last sample taken.
	Last backlogSample `json:"last"`
}

// openBacklogDB opens the store's database for reading: a postgres:// URL,
// or a SQLite file (read while the server writes it: WAL lets a reader
// in).
func openBacklogDB(dsn string) (*sql.DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		return db, nil
	}
	if strings.ContainsRune(dsn, '?') {
		return nil, fmt.Errorf("-backlog-db: a SQLite path must not contain '?'")
	}
	db, err := sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// sampleBacklog reads River's job table once.
func sampleBacklog(ctx context.Context, db *sql.DB, at float64) (backlogSample, error) {
	rows, err := db.QueryContext(ctx, `SELECT kind, state, count(*) FROM river_job GROUP BY kind, state`)
	if err != nil {
		return backlogSample{}, fmt.Errorf("sample backlog: %w", err)
	}
	defer rows.Close()
	s := backlogSample{At: at, Kinds: map[string]jobCounts{}}
	for rows.Next() {
		var kind, state string
		var n int64
		if err := rows.Scan(&kind, &state, &n); err != nil {
			return s, fmt.Errorf("sample backlog: %w", err)
		}
		c := s.Kinds[kind]
		switch state {
		case "running":
			c.Running += n
		case "completed", "cancelled", "discarded":
			c.Completed += n
		default: // available, pending, scheduled, retryable
			c.Queued += n
		}
		s.Kinds[kind] = c
	}
	return s, rows.Err()
}

// watchBacklog samples db every every until loadDone is closed, then keeps
// sampling (every 100 ms, to time the drain) until the backlog is empty and
// no more deliveries were still being answered, or after has passed. It
// writes each sample to progress as it goes.
func watchBacklog(ctx context.Context, db *sql.DB, start time.Time, every, after time.Duration, loadDone <-chan struct{}, progress io.Writer) (backlogReport, error) {
	rep := backlogReport{EmptyAfter: -1}
	printed := -every.Seconds()
	take := func() (backlogSample, error) {
		s, err := sampleBacklog(ctx, db, time.Since(start).Seconds())
		if err != nil {
			return s, err
		}
		rep.Samples = append(rep.Samples, s)
		rep.Last = s
		// The drain is sampled more often than every; print at that pace.
		if s.At-printed >= every.Seconds() || s.backlog() == 0 {
			fmt.Fprintf(progress, "backlog %7.2fs  %s\n", s.At, s.line())
			printed = s.At
		}
		return s, nil
	}
	t := time.NewTicker(every)
	defer t.Stop()
during:
	for {
		select {
		case <-t.C:
			s, err := take()
			if err != nil {
				return rep, err
			}
			rep.PeakDuring = max(rep.PeakDuring, s.backlog())
		case <-loadDone:
			break during
		case <-ctx.Done():
			return rep, ctx.Err()
		}
	}
	ended := time.Now()
	s, err := take()
	if err != nil {
		return rep, err
	}
	rep.AtEnd = s
	drain := time.NewTicker(100 * time.Millisecond)
	defer drain.Stop()
	for s.backlog() > 0 && time.Since(ended) < after {
		select {
		case <-drain.C:
		case <-ctx.Done():
			return rep, ctx.Err()
		}
		if s, err = take(); err != nil {
			return rep, err
		}
	}
	if s.backlog() == 0 {
		rep.EmptyAfter = time.Since(ended).Seconds()
	}
	return rep, nil
}

// line is a sample for people: each kind's queued/running/completed.
func (s backlogSample) line() string {
	kinds := make([]string, 0, len(s.Kinds))
	for k := range s.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := []string{fmt.Sprintf("backlog %d", s.backlog())}
	for _, k := range kinds {
		c := s.Kinds[k]
		parts = append(parts, fmt.Sprintf("%s q=%d r=%d done=%d", k, c.Queued, c.Running, c.Completed))
	}
	return strings.Join(parts, "  ")
}
