package store

import (
	"context"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// queue is the part of the store that depends on the driver's transaction
// type (*sql.Tx for SQLite, pgx.Tx for Postgres). Everything else in the
// package works through it, so the Store API is one for both drivers.
type queue interface {
	pool() querier
	// inTx runs fn in one transaction and commits it if fn returns nil. A
	// durable transaction is on disk when inTx returns, even across an OS
	// crash; the others survive a process crash (see sqliteDSN).
	inTx(ctx context.Context, durable bool, fn func(ctx context.Context, tx querier, jobs txJobs) error) error
	start(ctx context.Context) error
	stop(ctx context.Context) error
	stopAndCancel(ctx context.Context) error
	subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
	listJobs(ctx context.Context, params *river.JobListParams) ([]*rivertype.JobRow, error)
	ping(ctx context.Context) error
	close() error
}

// txJobs inserts River jobs inside the transaction it was handed with.
type txJobs interface {
	// insertFast inserts jobs that have no unique options.
	insertFast(ctx context.Context, params []river.InsertManyParams) (int, error)
	// madeAvailable says a statement of the transaction made a job
	// available to run, so that River's producers are woken after the
	// commit.
	madeAvailable()
	// insert honours unique options: a duplicate comes back with
	// UniqueSkippedAsDuplicate set.
	insert(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	// retry makes the job available to run now (River's JobRetryTx) and
	// returns whether it did: River leaves a running job alone.
	// rivertype.ErrNotFound when the job is gone.
	retry(ctx context.Context, id int64) (bool, error)
}

// riverQueue implements queue for one River transaction type.
type riverQueue[TTx any] struct {
	client *river.Client[TTx]
	db     querier
	works  bool // the client has workers and queues
	// begin starts a transaction; end commits it (or rolls it back) and
	// releases what begin took.
	begin   func(ctx context.Context, durable bool) (tx TTx, q querier, end func(ctx context.Context, commit bool) error, err error)
	pingDB  func(ctx context.Context) error
	closeDB func() error
	// queued, when set, hears that a transaction that queued jobs has
	// committed (SQLite: it wakes this process's workers; see wake.go).
	queued func()
}

func (q *riverQueue[TTx]) pool() querier { return q.db }

func (q *riverQueue[TTx]) inTx(ctx context.Context, durable bool, fn func(ctx context.Context, tx querier, jobs txJobs) error) error {
	tx, tq, end, err := q.begin(ctx, durable)
	if err != nil {
		return err
	}
	jobs := riverTxJobs[TTx]{client: q.client, tx: tx, queued: new(bool)}
	if err := fn(ctx, tq, jobs); err != nil {
		_ = end(context.WithoutCancel(ctx), false)
		return err
	}
	if err := end(ctx, true); err != nil {
		return err
	}
	if *jobs.queued && q.queued != nil {
		q.queued()
	}
	return nil
}

func (q *riverQueue[TTx]) start(ctx context.Context) error {
	if !q.works {
		return nil
	}
	return q.client.Start(ctx)
}

func (q *riverQueue[TTx]) stop(ctx context.Context) error {
	if !q.works {
		return nil
	}
	return q.client.Stop(ctx)
}

func (q *riverQueue[TTx]) stopAndCancel(ctx context.Context) error {
	if !q.works {
		return nil
	}
	return q.client.StopAndCancel(ctx)
}

func (q *riverQueue[TTx]) subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	if !q.works {
		// River panics on a client that never works jobs; an insert-only
		// store has no events to give, so its channel is closed at once.
		ch := make(chan *river.Event)
		close(ch)
		return ch, func() {}
	}
	return q.client.Subscribe(kinds...)
}

func (q *riverQueue[TTx]) listJobs(ctx context.Context, params *river.JobListParams) ([]*rivertype.JobRow, error) {
	res, err := q.client.JobList(ctx, params)
	if err != nil {
		return nil, err
	}
	return res.Jobs, nil
}

func (q *riverQueue[TTx]) ping(ctx context.Context) error { return q.pingDB(ctx) }

func (q *riverQueue[TTx]) close() error { return q.closeDB() }

type riverTxJobs[TTx any] struct {
	client *river.Client[TTx]
	tx     TTx
	queued *bool // set when a job was made available to run
}

func (j riverTxJobs[TTx]) insertFast(ctx context.Context, params []river.InsertManyParams) (int, error) {
	n, err := j.client.InsertManyFastTx(ctx, j.tx, params)
	*j.queued = *j.queued || n > 0
	return n, err
}

func (j riverTxJobs[TTx]) insert(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	res, err := j.client.InsertManyTx(ctx, j.tx, params)
	*j.queued = *j.queued || len(res) > 0
	return res, err
}

func (j riverTxJobs[TTx]) madeAvailable() { *j.queued = true }

func (j riverTxJobs[TTx]) retry(ctx context.Context, id int64) (bool, error) {
	row, err := j.client.JobRetryTx(ctx, j.tx, id)
	if err != nil {
		return false, err
	}
	available := row.State == rivertype.JobStateAvailable
	*j.queued = *j.queued || available
	return available, nil
}
