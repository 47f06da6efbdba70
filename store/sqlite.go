package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/riverqueue/river"
	"modernc.org/sqlite"

	"github.com/switchboard-dev/switchboard/logfield"
)

// sqliteDSN turns a file path into a modernc.org/sqlite DSN.
//
//   - One connection only (set by the caller) and BEGIN IMMEDIATE: with
//     several connections and deferred locks, half the requests of a load
//     test failed with SQLITE_BUSY (DESIGN.md, "River on SQLite").
//   - busy_timeout covers another process (a CLI) holding the lock.
//   - WAL with synchronous=NORMAL: a commit is in the WAL, in the OS page
//     cache, before it returns, so it survives the process being killed
//     (SIGKILL, OOM, panic), though an OS crash or power loss may roll back
//     the last commits. That is the level for River's own bookkeeping (job
//     fetches and completions, one transaction each). Durable transactions,
//     the ones that answer GitHub, switch to FULL for their commit: see
//     beginSQLite.
//
// SQLite's automatic checkpoint stays on, inside the commit that crosses
// 1,000 WAL pages. Checkpointing from a second connection instead took it
// off the writer's path, but PASSIVE checkpoints never let a busy WAL
// start over (a 10-minute soak grew it to 22 GB), and the RESTART ones
// that do stalled the writer longer (docs/architecture.md).
func sqliteDSN(path string) (string, error) {
	if strings.ContainsRune(path, '?') {
		return "", errors.New("store: sqlite path must not contain '?'")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode(), nil
}

// beginSQLite starts a transaction. A durable one runs with
// synchronous=FULL, so its commit fsyncs the WAL: a delivery answered 202
// survives a power loss, and so does every commit before it in the WAL. The
// fsync is paid once per batch of deliveries; per job it halved River's
// completion rate under load (docs/BENCHMARKS.md).
func beginSQLite(ctx context.Context, db *sql.DB, durable bool) (*sql.Tx, querier, func(context.Context, bool) error, error) {
	if !durable {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		end := func(_ context.Context, commit bool) error {
			if commit {
				return tx.Commit()
			}
			return tx.Rollback()
		}
		return tx, sqlQuerier{tx}, end, nil
	}
	// The setting belongs to the connection, so pin it for the whole
	// transaction and set it back before giving the connection back.
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
		_ = conn.Close()
		return nil, nil, nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		restoreSynchronous(conn)
		return nil, nil, nil, err
	}
	end := func(_ context.Context, commit bool) error {
		var err error
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		restoreSynchronous(conn)
		return err
	}
	return tx, sqlQuerier{tx}, end, nil
}

// restoreSynchronous puts the connection back to NORMAL and returns it to
// the pool. If that fails the connection stays at FULL: slower, not less
// safe.
func restoreSynchronous(conn *sql.Conn) {
	_, _ = conn.ExecContext(context.Background(), `PRAGMA synchronous = NORMAL`)
	_ = conn.Close()
}

func openSQLite(ctx context.Context, o Options) (queue, error) {
	// The process that runs the jobs owns the file (see fileLock); an
	// insert-only store (a tool, a benchmark) takes no lock.
	owner := o.Workers != nil
	dsn, err := sqliteDSN(o.DSN)
	if err != nil {
		return nil, err
	}
	connector, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, errors.New("store: sqlite DSN cannot be parsed")
	}
	var lock *fileLock
	if owner {
		if lock, err = lockSQLite(o.DSN); err != nil {
			return nil, err
		}
	}
	db := sql.OpenDB(stmtCacheConnector{connector})
	closeAll := func() error { return errors.Join(db.Close(), lock.release()) }
	// River and the batch writer share this one connection; SQLite allows
	// one writer at a time anyway, and queueing in database/sql is cheaper
	// than SQLITE_BUSY retries.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = closeAll()
		return nil, unavailable("open sqlite", err)
	}

	driver := newWakeDriver(db)
	client, err := river.NewClient(driver, o.riverConfig())
	if err != nil {
		_ = closeAll()
		return nil, fmt.Errorf("store: river client: %w", err)
	}
	q := &riverQueue[*sql.Tx]{
		client: client,
		queued: driver.queued,
		db:     sqlQuerier{db},
		works:  o.Workers != nil,
		begin: func(ctx context.Context, durable bool) (*sql.Tx, querier, func(context.Context, bool) error, error) {
			return beginSQLite(ctx, db, durable)
		},
		pingDB: func(ctx context.Context) error {
			// A query, not db.Ping: it proves the schema is there and the
			// one connection is not wedged.
			var v int
			return db.QueryRowContext(ctx, `SELECT 1 FROM switchboard_migration LIMIT 1`).Scan(&v)
		},
		closeDB: closeAll,
	}
	if err := migrateRiver(ctx, driver, "", newSlogLogger(o.Logger.WithField(logfield.Component, "river"))); err != nil {
		_ = closeAll()
		return nil, unavailable("migrate", err)
	}
	if err := migrateOwn(ctx, q, sqliteDialect); err != nil {
		_ = closeAll()
		return nil, unavailable("migrate", err)
	}
	if lock != nil {
		n, err := resumeRunning(ctx, db)
		if err != nil {
			_ = closeAll()
			return nil, unavailable("resume interrupted jobs", err)
		}
		if n > 0 {
			o.Logger.WithField(logfield.Component, "store").WithField("jobs", n).
				Info("resumed jobs left running by a stopped process")
		}
	}
	return q, nil
}
