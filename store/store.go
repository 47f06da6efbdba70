package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/logfield"
)

// hardStopWait bounds how long Stop waits for jobs to return once their
// contexts are cancelled.
const hardStopWait = 10 * time.Second

// Store is the durable queue and delivery log. It is safe for concurrent
// use.
type Store struct {
	opts    Options
	log     *logrus.Entry
	q       queue
	dialect dialect
	metrics *metrics

	mu        sync.RWMutex // guards state and the send side of reqs
	state     state
	reqs      chan *enqueueReq
	writerEnd chan struct{}

	group     groupCommit // shared transactions of outcome and claimed-job writes (group.go)
	closeOnce sync.Once
	// turn takes the intake writer's batches and the grouped writes in
	// turn on SQLite's one connection (group.go); on Postgres only the
	// writer takes it, uncontended.
	turn sync.Mutex
}

type state int

const (
	stateNew state = iota
	stateRunning
	stateStopped
)

// Open connects to the database and runs River's migrations and the store's
// own. Migrations are idempotent, so Open is safe on every start; on
// Postgres, replicas starting together serialise on an advisory lock.
// Errors never contain the DSN.
func Open(ctx context.Context, o Options) (*Store, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	var (
		q queue
		d dialect
	)
	switch o.Driver {
	case DriverSQLite:
		d = sqliteDialect
		q, err = openSQLite(ctx, o)
	case DriverPostgres:
		d = postgresDialect
		q, err = openPostgres(ctx, o)
	}
	if err != nil {
		return nil, err
	}
	// Registered only once the store is open, so a failed Open can be
	// retried with the same registry.
	m := newMetrics()
	if err := m.register(o.Registerer); err != nil {
		_ = q.close()
		return nil, err
	}
	s := &Store{
		opts:      o,
		log:       o.Logger.WithField(logfield.Component, "store"),
		q:         q,
		dialect:   d,
		metrics:   m,
		reqs:      make(chan *enqueueReq, o.BatchMaxSize),
		writerEnd: make(chan struct{}),
	}
	m.queue.bind(s)
	return s, nil
}

// Start starts the batch writer and, when the store has Workers, River's
// job execution. ctx is used to start only: the store runs until Stop, so
// that a cancelled signal context cannot cut running jobs short.
func (s *Store) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateNew {
		return errors.New("store: Start called twice or after Stop")
	}
	if err := s.q.start(context.WithoutCancel(ctx)); err != nil {
		return unavailable("start river", err)
	}
	s.state = stateRunning
	go s.writer()
	return nil
}

// Stop shuts down gracefully: Enqueue refuses new deliveries, the batch
// writer commits those already waiting, River stops fetching and running
// jobs may finish until ctx is done; then their contexts are cancelled and
// Stop waits a bounded time for them to return. Jobs cut short stay queued
// and run after the next start. Stop returns nil when everything stopped.
func (s *Store) Stop(ctx context.Context) error { return s.shutdown(ctx, true) }

// Close stops the store if it is running, cancelling running jobs at once,
// and closes the database.
func (s *Store) Close() error {
	err := errors.Join(s.shutdown(context.Background(), false), s.q.close())
	s.closeOnce.Do(func() { s.metrics.unregister(s.opts.Registerer) })
	return err
}

func (s *Store) shutdown(ctx context.Context, graceful bool) error {
	s.mu.Lock()
	if s.state != stateRunning {
		s.state = stateStopped
		s.mu.Unlock()
		return nil
	}
	s.state = stateStopped
	// No sender holds the read lock now, and none will send again.
	close(s.reqs)
	s.mu.Unlock()

	var err error
	if graceful {
		err = s.q.stop(ctx)
		if err != nil {
			s.log.WithError(err).Warn("running jobs did not finish in time; cancelling them")
		}
	}
	if !graceful || err != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopWait)
		defer cancel()
		err = nil
		if herr := s.q.stopAndCancel(hctx); herr != nil {
			err = fmt.Errorf("store: stop: jobs did not return after cancellation: %w", herr)
		}
	}
	<-s.writerEnd
	return err
}

// Ping checks that the database answers and holds the store's schema.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.q.ping(ctx); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Subscribe returns River's job events of the given kinds and a function
// that ends the subscription. Events that would overflow the channel's
// buffer are dropped by River. On an insert-only store (no Workers) the
// channel is closed at once.
func (s *Store) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return s.q.subscribe(kinds...)
}

// payloadChunk is the size above which a payload is read in pieces of
// this size: read whole, a 20 MB payload is held three times over at once
// (SQLite's copy, the driver's, database/sql's), and the worker that reads
// it must stay within the memory budget.
const payloadChunk = 1 << 20

// Delivery returns the stored delivery with the given ID, or ErrNotFound. A
// payload over payloadChunk bytes is read in pieces into one buffer of its
// exact size.
func (s *Store) Delivery(ctx context.Context, id string) (*Delivery, error) {
	d := Delivery{ID: id}
	var at timeValue
	var size int64
	// length() of a blob does not load it (SQLite, Postgres); the payload
	// comes in this query only when it is small.
	err := s.q.pool().queryRow(ctx,
		`SELECT event, received_at, length(payload), CASE WHEN length(payload) <= $2 THEN payload END, hook_id, user_agent, replay_of FROM deliveries WHERE id = $1`,
		id, payloadChunk).
		Scan(&d.Event, &at, &size, &d.Payload, &d.HookID, &d.UserAgent, &d.ReplayOf)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, unavailable("read delivery", err)
	}
	d.ReceivedAt = at.t
	if size > payloadChunk {
		if d.Payload, err = s.readPayload(ctx, id, size); err != nil {
			return nil, err
		}
	}
	if d.Payload == nil {
		d.Payload = []byte{}
	}
	return &d, nil
}

// readPayload reads the payload of size bytes of delivery id in pieces of
// payloadChunk.
func (s *Store) readPayload(ctx context.Context, id string, size int64) ([]byte, error) {
	out := make([]byte, 0, size)
	var piece []byte
	for int64(len(out)) < size {
		// substr counts from 1, in bytes for a blob (SQLite) or bytea
		// (Postgres).
		err := s.q.pool().queryRow(ctx,
			`SELECT substr(payload, $2, $3) FROM deliveries WHERE id = $1`,
			id, len(out)+1, payloadChunk).Scan(&piece)
		if isNoRows(err) {
			return nil, ErrNotFound // deleted by retention meanwhile
		}
		if err != nil {
			return nil, unavailable("read delivery", err)
		}
		if len(piece) == 0 {
			return nil, unavailable("read delivery", fmt.Errorf("payload of %s ended at %d of %d bytes", id, len(out), size))
		}
		out = append(out, piece...)
	}
	return out, nil
}

// HasDelivery reports whether a delivery with the given ID is stored.
func (s *Store) HasDelivery(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.q.pool().queryRow(ctx, `SELECT 1 FROM deliveries WHERE id = $1`, id).Scan(&one)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, unavailable("read delivery", err)
	}
	return true, nil
}
