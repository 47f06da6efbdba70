package store

import (
	"context"
	"errors"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
)

// batchTimeout bounds one batch transaction; GitHub gives a delivery 10 s.
const batchTimeout = 8 * time.Second

// batchMaxBytes bounds the payload bytes of one batch, so 64 deliveries near
// GitHub's 25 MB cap do not make one giant statement. A batch always takes
// at least one delivery, and takes no more once it holds this much: so a
// large payload is written alone, and the SQLite driver's copy of the
// payloads being written (it copies each bound blob) holds one large
// payload at a time, not two.
const batchMaxBytes = 4 << 20

type enqueueReq struct {
	ctx context.Context
	d   Delivery
	// decided, when set, is what processing the delivery decided before it
	// was stored (EnqueueDecided): it is written instead of a
	// ProcessDeliveryArgs job.
	decided *processingWrite
	// handoff, when set, is told how the write ended (EnqueueDecided,
	// EnqueueClaimed); with claim, the writer claims decided's jobs and
	// hands them over with it (EnqueueClaimed).
	handoff Handoff
	claim   bool
	reply   chan enqueueResult // buffered: the writer never blocks on it
}

type enqueueResult struct {
	duplicate bool
	err       error
}

// Enqueue stores the delivery and queues its ProcessDeliveryArgs job in one
// transaction, and returns only after that transaction committed. A delivery
// whose ID is already stored is a duplicate: nothing is written or queued
// and duplicate is true. A failure to write or commit returns an error
// wrapping ErrUnavailable; nothing of the delivery is then stored, so a
// retry (a redelivery) works. If ctx ends first, Enqueue returns ctx's
// error; the delivery may or may not have been committed.
//
// Concurrent calls are batched by one writer goroutine: whatever requests
// are waiting (up to BatchMaxSize, waiting at most BatchMaxWait for more)
// share one transaction (DESIGN.md, "River on SQLite").
func (s *Store) Enqueue(ctx context.Context, d Delivery) (duplicate bool, err error) {
	return s.enqueueReq(ctx, &enqueueReq{ctx: ctx, d: d}, nil)
}

// EnqueueDecided is Enqueue for a delivery already processed: instead of a
// ProcessDeliveryArgs job, p (what processing decided: the rules'
// explanations and the actions' jobs) is written in the same transaction
// as the delivery, as RecordProcessing would write it. So a delivery whose
// rules can be decided without GitHub's API costs one job per action and
// no processing hop (docs/architecture.md, "The path now"). A duplicate
// writes nothing of p. p.Delivery must be d.ID. handoff, when not nil, is
// told whether the delivery was stored (see Handoff).
func (s *Store) EnqueueDecided(ctx context.Context, d Delivery, p Processing, handoff Handoff) (duplicate bool, err error) {
	return s.enqueueReq(ctx, &enqueueReq{ctx: ctx, d: d, handoff: handoff}, &p)
}

// enqueueReq hands r to the writer, with what processing decided when p
// is not nil, and waits for its answer. A handoff is called here, with
// (false, nil), when r never reaches the writer.
func (s *Store) enqueueReq(ctx context.Context, r *enqueueReq, p *Processing) (duplicate bool, err error) {
	sent := false
	defer func() {
		if !sent && r.handoff != nil {
			r.handoff(false, nil)
		}
	}()
	if p != nil {
		if p.Delivery != r.d.ID {
			return false, errors.New("store: the processing is not the delivery's")
		}
		if r.decided, err = prepareProcessing(*p); err != nil {
			return false, err
		}
	}
	d := &r.d
	if d.ID == "" {
		return false, errors.New("store: delivery has no ID")
	}
	if d.Event == "" {
		return false, errors.New("store: delivery has no event")
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	if d.Payload == nil {
		d.Payload = []byte{}
	}
	r.reply = make(chan enqueueResult, 1)

	s.mu.RLock()
	if s.state != stateRunning {
		s.mu.RUnlock()
		s.metrics.enqueueErrors.Inc()
		return false, unavailable("enqueue", errors.New("store is not running"))
	}
	select {
	case s.reqs <- r:
		sent = true
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return false, ctx.Err()
	}

	select {
	case res := <-r.reply:
		return res.duplicate, res.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// writer is the single goroutine that commits Enqueue requests in batches.
// It ends when Stop closes reqs, after committing what was waiting.
func (s *Store) writer() {
	defer close(s.writerEnd)
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	// alone is whether the last batch held one delivery: deliveries are
	// then arriving one at a time, and waiting BatchMaxWait for company
	// would only add that to each one's answer (and to the time to its
	// first action). Once two arrive together, batches wait again.
	alone := false
	for {
		first, ok := <-s.reqs
		if !ok {
			return
		}
		batch := []*enqueueReq{first}
		size := len(first.d.Payload)
		closed := false
		linger := s.opts.BatchMaxWait
		if alone {
			linger = 0
		}
		if linger > 0 {
			wait.Reset(linger)
		}
	collect:
		for len(batch) < s.opts.BatchMaxSize && size < batchMaxBytes {
			// Take what is already waiting first; then wait for more, up
			// to BatchMaxWait.
			select {
			case r, ok := <-s.reqs:
				if !ok {
					closed = true
					break collect
				}
				batch = append(batch, r)
				size += len(r.d.Payload)
				continue
			default:
			}
			if linger <= 0 {
				break
			}
			select {
			case r, ok := <-s.reqs:
				if !ok {
					closed = true
					break collect
				}
				batch = append(batch, r)
				size += len(r.d.Payload)
			case <-wait.C:
				break collect
			}
		}
		wait.Stop()
		alone = len(batch) == 1
		s.flush(batch)
		if closed {
			return
		}
	}
}

// flush commits one batch and answers every request in it.
func (s *Store) flush(batch []*enqueueReq) {
	// Callers that gave up are dropped: they have their answer already.
	live := batch[:0]
	for _, r := range batch {
		if r.ctx.Err() == nil {
			live = append(live, r)
		} else if r.handoff != nil {
			r.handoff(false, nil)
		}
	}
	if len(live) == 0 {
		return
	}
	s.metrics.batchSize.Observe(float64(len(live)))

	// The first request for an ID in the batch is the candidate; later ones
	// are duplicates whatever the database says.
	first := make(map[string]*enqueueReq, len(live))
	candidates := make([]*enqueueReq, 0, len(live))
	for _, r := range live {
		if _, seen := first[r.d.ID]; !seen {
			first[r.d.ID] = r
			candidates = append(candidates, r)
		}
	}

	// Rows go in in ID order: two Postgres replicas inserting overlapping
	// batches then take their row locks in the same order and cannot
	// deadlock.
	slices.SortFunc(candidates, func(a, b *enqueueReq) int { return strings.Compare(a.d.ID, b.d.ID) })

	if s.opts.Driver == DriverSQLite && slices.ContainsFunc(candidates, func(r *enqueueReq) bool { return len(r.d.Payload) > payloadChunk }) {
		// SQLite copies a large payload twice while writing it, in C
		// memory the Go runtime neither sees nor counts against its
		// memory limit (measured: 80 MB more resident for 20 MB). Give the
		// heap's free pages back to the system first, so that the two do
		// not add up. Large payloads are rare and written one per batch
		// (batchMaxBytes); the collection takes milliseconds.
		debug.FreeOSMemory()
	}

	// The connection is this batch's from here to the commit only: the
	// answers below (handoffs, replies) need no turn, and the timeout
	// counts from when the turn came.
	s.turn.Lock()
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	start := time.Now()
	var inserted map[string]bool
	err := s.q.inTx(ctx, true, func(ctx context.Context, tx querier, jobs txJobs) error {
		var err error
		inserted, err = s.insertDeliveries(ctx, tx, candidates)
		if err != nil || len(inserted) == 0 {
			return err
		}
		params := make([]river.InsertManyParams, 0, len(inserted))
		var (
			decided []*processingWrite
			acts    []actionWrite
		)
		for _, r := range candidates {
			switch {
			case !inserted[r.d.ID]:
			case r.decided != nil:
				decided = append(decided, r.decided)
				acts = append(acts, actionWrite{w: r.decided, claimed: r.claim})
			default:
				params = append(params, river.InsertManyParams{
					Args: ProcessDeliveryArgs{Delivery: r.d.ID, Event: r.d.Event, Size: int64(len(r.d.Payload))},
				})
			}
		}
		if err := s.writeResults(ctx, tx, decided); err != nil {
			return err
		}
		if _, err := s.writeActions(ctx, tx, jobs, acts); err != nil {
			return err
		}
		var claim []int64
		for _, a := range acts {
			if a.claimed {
				for _, c := range a.w.claimed {
					claim = append(claim, c.ID)
				}
			}
		}
		if err := s.claimJobs(ctx, tx, claim); err != nil {
			return err
		}
		if len(params) == 0 {
			return nil
		}
		_, err = jobs.insertFast(ctx, params)
		return err
	})
	s.turn.Unlock()
	s.metrics.commitSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		err = unavailable("enqueue", err)
		s.metrics.enqueueErrors.Add(float64(len(live)))
	}
	for _, r := range live {
		res := enqueueResult{err: err}
		if err == nil {
			res.duplicate = first[r.d.ID] != r || !inserted[r.d.ID]
		}
		if r.handoff != nil {
			stored := err == nil && !res.duplicate
			var claimed []ClaimedJob
			if stored && r.claim {
				claimed = r.decided.claimed
			}
			r.handoff(stored, claimed)
		}
		r.reply <- res
	}
}

// insertDeliveries inserts the rows in one statement and returns the IDs
// that were new. ON CONFLICT DO NOTHING with RETURNING yields only the
// inserted rows, on SQLite (3.35+) and Postgres alike; on Postgres a
// concurrent transaction inserting the same ID makes this one wait and then
// see the conflict, so across replicas too only one caller gets the row.
func (s *Store) insertDeliveries(ctx context.Context, tx querier, reqs []*enqueueReq) (map[string]bool, error) {
	var b strings.Builder
	b.WriteString(`INSERT INTO deliveries (id, event, payload, received_at, hook_id, user_agent) VALUES `)
	const cols = 6
	args := make([]any, 0, cols*len(reqs))
	for i, r := range reqs {
		writeValuesRow(&b, i, cols)
		args = append(args, r.d.ID, r.d.Event, r.d.Payload, s.dialect.timeArg(r.d.ReceivedAt), r.d.HookID, r.d.UserAgent)
	}
	b.WriteString(` ON CONFLICT (id) DO NOTHING RETURNING id`)
	rs, err := tx.query(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	inserted := make(map[string]bool, len(reqs))
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			return nil, err
		}
		inserted[id] = true
	}
	return inserted, rs.Err()
}
