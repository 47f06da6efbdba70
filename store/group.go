package store

import (
	"context"
	"sync"
	"time"
)

// groupTimeout bounds one group's transaction.
const groupTimeout = 8 * time.Second

// groupCommit shares one transaction among the small writes that arrive
// together, the way the intake writer shares one among deliveries: on
// SQLite every transaction is a commit on the one connection that intake
// also needs, and an action's attempt wrote two (running, then its end),
// which at 2,000 actions/s was more commits than the connection could
// take (docs/BENCHMARKS.md, "Sustained"). A goroutine commits group after
// group while writes wait, and ends when none do; what arrives during a
// commit makes the next group (natural batching, no added wait).
type groupCommit struct {
	mu      sync.Mutex
	pending []*groupReq
	leading bool // commitGroups is running
}

type groupReq struct {
	fn   groupedFn
	done chan error // buffered
}

// groupedFn is a write grouped may share a transaction for; jobs is that
// transaction's, to say it made a job available (River's producers are
// then woken after the commit).
type groupedFn func(ctx context.Context, tx querier, jobs txJobs) error

// grouped runs fn in a transaction (not durable: see sqliteDSN) that it
// may share with other callers; fn's writes commit, or fail, with that
// transaction. A failing fn does not fail the others: the group is then
// rolled back and each runs alone. On Postgres, where connections are
// many, fn runs in a transaction of its own.
func (s *Store) grouped(ctx context.Context, fn groupedFn) error {
	if s.opts.Driver != DriverSQLite {
		return s.q.inTx(ctx, false, fn)
	}
	r := &groupReq{fn: fn, done: make(chan error, 1)}
	g := &s.group
	g.mu.Lock()
	g.pending = append(g.pending, r)
	if !g.leading {
		g.leading = true
		go s.commitGroups()
	}
	g.mu.Unlock()
	// Not abandoned on ctx: once queued, fn runs; the caller learns
	// whether it committed.
	return <-r.done
}

// commitGroups commits what waits, group after group, until nothing does.
func (s *Store) commitGroups() {
	g := &s.group
	g.mu.Lock()
	for len(g.pending) > 0 {
		batch := g.pending
		g.pending = nil
		g.mu.Unlock()
		s.commitGroup(batch)
		g.mu.Lock()
	}
	g.leading = false
	g.mu.Unlock()
}

// commitGroup runs batch's functions in one transaction and answers each.
func (s *Store) commitGroup(batch []*groupReq) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	failed := false
	s.turn.Lock()
	defer s.turn.Unlock()
	err := s.q.inTx(ctx, false, func(ctx context.Context, tx querier, jobs txJobs) error {
		for _, r := range batch {
			if err := r.fn(ctx, tx, jobs); err != nil {
				failed = true
				return err
			}
		}
		return nil
	})
	if err == nil || !failed || len(batch) == 1 {
		for _, r := range batch {
			r.done <- err
		}
		return
	}
	// One function failed and took the group with it: each on its own now,
	// so that only the failing one fails.
	for _, r := range batch {
		r.done <- s.q.inTx(ctx, false, r.fn)
	}
}
