package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/switchboard-dev/switchboard/logfield"
)

// sqliteDSN turns a file path into a modernc.org/sqlite DSN.
//
//   - One connection only (set by the caller) and BEGIN IMMEDIATE: with
//     several connections and deferred locks, half the requests of a load
//     test failed with SQLITE_BUSY (DESIGN.md, "River on SQLite").
//   - busy_timeout covers another process (a CLI) holding the lock.
//   - WAL with synchronous=NORMAL: a commit is in the WAL, in the OS page
//     cache, before Enqueue returns, so it survives the process being killed
//     (SIGKILL, OOM, panic). It is not fsynced on every commit, so an OS crash
//     or power loss may roll back the last commits; FULL would close that gap
//     at the cost of an fsync per batch (see docs/BENCHMARKS.md).
func sqliteDSN(path string) (string, error) {
	if strings.ContainsRune(path, '?') {
		return "", errors.New("store: sqlite path must not contain '?'")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sqliteSynchronous+")")
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode(), nil
}

// sqliteSynchronous is the PRAGMA synchronous level; see sqliteDSN.
const sqliteSynchronous = "NORMAL"

func openSQLite(ctx context.Context, o Options) (queue, error) {
	dsn, err := sqliteDSN(o.DSN)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	// River and the batch writer share this one connection; SQLite allows
	// one writer at a time anyway, and queueing in database/sql is cheaper
	// than SQLITE_BUSY retries.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, unavailable("open sqlite", err)
	}

	driver := riversqlite.New(db)
	client, err := river.NewClient(driver, o.riverConfig())
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: river client: %w", err)
	}
	q := &riverQueue[*sql.Tx]{
		client: client,
		db:     sqlQuerier{db},
		works:  o.Workers != nil,
		begin: func(ctx context.Context) (*sql.Tx, querier, error) {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return nil, nil, err
			}
			return tx, sqlQuerier{tx}, nil
		},
		commit:   func(_ context.Context, tx *sql.Tx) error { return tx.Commit() },
		rollback: func(_ context.Context, tx *sql.Tx) { _ = tx.Rollback() },
		pingDB: func(ctx context.Context) error {
			// A query, not db.Ping: it proves the schema is there and the
			// one connection is not wedged.
			var v int
			return db.QueryRowContext(ctx, `SELECT 1 FROM switchboard_migration LIMIT 1`).Scan(&v)
		},
		closeDB: db.Close,
	}
	if err := migrateRiver(ctx, driver, "", newSlogLogger(o.Logger.WithField(logfield.Component, "river"))); err != nil {
		_ = db.Close()
		return nil, unavailable("migrate", err)
	}
	if err := migrateOwn(ctx, q, sqliteDialect); err != nil {
		_ = db.Close()
		return nil, unavailable("migrate", err)
	}
	return q, nil
}
