package store

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"modernc.org/sqlite"
)

// checkpointEvery is how often the checkpointer copies the WAL into the
// database file. At the intake rate measured here (about 4,000 8 KiB
// deliveries/s) the WAL grows some 10 MB in that time.
const checkpointEvery = 200 * time.Millisecond

// checkpointer copies committed pages from the WAL into the database file
// on a connection of its own. SQLite's automatic checkpoint runs inside
// the commit that crosses 1,000 WAL pages: on the one connection the
// intake writer commits on, so every few batches one batch also paid for
// copying the WAL back, which was a fifth of the writer's CPU and most of
// intake's p99 (docs/BENCHMARKS.md). A PASSIVE checkpoint neither waits
// for nor blocks the writer; the owner's connection turns the automatic
// one off (sqliteDSN).
type checkpointer struct {
	db   *sql.DB
	once sync.Once
	err  error
	stop chan struct{}
	done chan struct{}
	log  *logrus.Entry
}

// startCheckpointer opens a second connection to the SQLite file at path
// and checkpoints every checkpointEvery until close.
func startCheckpointer(ctx context.Context, path string, log *logrus.Entry) (*checkpointer, error) {
	dsn, err := sqliteDSN(path, false)
	if err != nil {
		return nil, err
	}
	connector, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{}), log: log}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		// busy is 1 when the checkpoint could not start (a RESTART or
		// TRUNCATE elsewhere); frames not copied are copied next time.
		var busy, logFrames, copied int
		err := c.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied)
		switch {
		case err != nil && !failing:
			// Logged once per run of failures: the WAL then grows until
			// checkpoints work again, and the data is safe in it.
			c.log.WithError(err).Warn("WAL checkpoint failed; retrying")
			failing = true
		case err == nil && failing:
			c.log.Info("WAL checkpoints work again")
			failing = false
		}
	}
}

// close stops the checkpointer and closes its connection; nil, or a
// second call, does nothing more.
func (c *checkpointer) close() error {
	if c == nil {
		return nil
	}
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		c.err = c.db.Close()
	})
	return c.err
}
