// Package benchsubject holds the servers the benchmarks set beside
// Switchboard (scripts/bench-intake.sh): the HMAC-only floor and a plain
// SQLite group-commit probe. They are measuring sticks, not product code:
// each does the least its name says, so that what Switchboard costs on top
// shows as a ratio.
package benchsubject

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers "sqlite"
)

// Group commit settings of the probe, the same as the store's defaults
// (DESIGN.md, "River on SQLite"): whatever is waiting, up to 64 deliveries,
// waiting at most 1 ms for more.
const (
	probeMaxBatch = 64
	probeMaxWait  = time.Millisecond
)

// probeReq is one delivery waiting for the probe's writer.
type probeReq struct {
	id, event string
	body      []byte
	reply     chan error // buffered: the writer never blocks on it
}

// Probe is the plain group-commit server the benchmark sets beside
// Switchboard: it checks the HMAC, and a single writer stores the raw body
// in one SQLite table, committing whatever requests wait (up to
// probeMaxBatch, waiting at most probeMaxWait) in one transaction with
// synchronous=FULL, and answers 202 after the commit. It is what durable
// intake costs on SQLite with nothing else: no queue, no job rows, no
// parsing.
type Probe struct {
	key     []byte
	db      *sql.DB
	reqs    chan *probeReq
	wg      sync.WaitGroup
	stopped chan struct{} // closed by close
	done    chan struct{} // closed when the writer has ended
	once    sync.Once
	batches atomic.Int64 // transactions committed
	rows    atomic.Int64 // deliveries committed (duplicates included)
}

// Stats are the transactions the writer committed and the deliveries in
// them (duplicates included).
func (p *Probe) Stats() (batches, rows int64) { return p.batches.Load(), p.rows.Load() }

// OpenProbe opens (creating) the probe's database at path. Call Start to
// run its writer, and Close when done.
func OpenProbe(ctx context.Context, path, secret string) (*Probe, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, errors.New("probe: database path must be given and not contain '?'")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS deliveries (
		id TEXT PRIMARY KEY,
		event TEXT NOT NULL,
		payload BLOB NOT NULL,
		received_at INTEGER NOT NULL
	)`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("probe: create table: %w", err)
	}
	return &Probe{
		key:     []byte(secret),
		db:      db,
		reqs:    make(chan *probeReq, probeMaxBatch),
		stopped: make(chan struct{}),
		done:    make(chan struct{}),
	}, nil
}

// Start runs the single writer until Close.
func (p *Probe) Start() {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(p.done)
		p.writer()
	}()
}

// Close stops the writer after what is waiting and closes the database.
// Requests arriving after Close answer 503.
func (p *Probe) Close() error {
	p.once.Do(func() { close(p.stopped) })
	p.wg.Wait()
	return p.db.Close()
}

// writer commits the waiting requests in batches until stopped.
func (p *Probe) writer() {
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for {
		var first *probeReq
		select {
		case first = <-p.reqs:
		case <-p.stopped:
			p.drain()
			return
		}
		batch := []*probeReq{first}
		wait.Reset(probeMaxWait)
	collect:
		for len(batch) < probeMaxBatch {
			select {
			case r := <-p.reqs:
				batch = append(batch, r)
				continue
			default:
			}
			select {
			case r := <-p.reqs:
				batch = append(batch, r)
			case <-wait.C:
				break collect
			}
		}
		if !wait.Stop() {
			select {
			case <-wait.C:
			default:
			}
		}
		p.commit(batch)
	}
}

// drain answers the requests left when the writer stops.
func (p *Probe) drain() {
	for {
		select {
		case r := <-p.reqs:
			r.reply <- errors.New("probe stopped")
		default:
			return
		}
	}
}

// commit writes batch in one transaction and answers each request.
func (p *Probe) commit(batch []*probeReq) {
	err := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancel()
		tx, err := p.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO deliveries (id, event, payload, received_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		now := time.Now().UnixMicro()
		for _, r := range batch {
			if _, err := stmt.ExecContext(ctx, r.id, r.event, r.body, now); err != nil {
				return err
			}
		}
		return tx.Commit()
	}()
	if err == nil {
		p.batches.Add(1)
		p.rows.Add(int64(len(batch)))
	}
	for _, r := range batch {
		r.reply <- err
	}
}

// Count is how many deliveries the table holds.
func (p *Probe) Count(ctx context.Context) (int64, error) {
	var n int64
	err := p.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries`).Scan(&n)
	return n, err
}

// ServeHTTP takes one delivery: 405 for a method other than POST, 413 over
// GitHub's cap, 401 without a valid X-Hub-Signature-256, 400 without
// X-GitHub-Event or X-GitHub-Delivery, 503 when it cannot be stored, and
// 202 once it is committed.
func (p *Probe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := verified(w, r, p.key)
	if !ok {
		return
	}
	id, event := r.Header.Get("X-GitHub-Delivery"), r.Header.Get("X-GitHub-Event")
	if id == "" || event == "" {
		http.Error(w, "X-GitHub-Delivery and X-GitHub-Event are required", http.StatusBadRequest)
		return
	}
	req := &probeReq{id: id, event: event, body: body, reply: make(chan error, 1)}
	select {
	case p.reqs <- req:
	case <-p.stopped:
		http.Error(w, "stopped", http.StatusServiceUnavailable)
		return
	case <-r.Context().Done():
		return
	}
	var werr error
	select {
	case werr = <-req.reply:
	case <-p.done:
		// The writer ended after this request was queued: it may still
		// have answered it.
		select {
		case werr = <-req.reply:
		default:
			werr = errors.New("probe stopped")
		}
	}
	if werr != nil {
		http.Error(w, "store failed", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = fmt.Fprintf(w, `{"delivery":%q,"status":"queued"}`, id)
}
