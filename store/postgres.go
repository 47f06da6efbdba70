package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/switchboard-dev/switchboard/logfield"
)

// minPostgresConns keeps the pool big enough for River's LISTEN connection,
// the migration lock, the batch writer and the workers.
const minPostgresConns = 4

func openPostgres(ctx context.Context, o Options) (queue, error) {
	cfg, err := pgxpool.ParseConfig(o.DSN)
	if err != nil {
		// pgx's message quotes the DSN (with the password masked only on a
		// best-effort basis): say nothing of it.
		return nil, errors.New("store: postgres DSN cannot be parsed")
	}
	if o.Schema != "" {
		// River qualifies its tables with the schema itself; the store's
		// own tables are found through the search path.
		cfg.ConnConfig.RuntimeParams["search_path"] = o.Schema
	}
	if cfg.MaxConns < minPostgresConns {
		cfg.MaxConns = minPostgresConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, unavailable("connect to postgres", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, unavailable("connect to postgres", err)
	}

	driver := riverpgxv5.New(pool)
	client, err := river.NewClient(driver, o.riverConfig())
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: river client: %w", err)
	}
	q := &riverQueue[pgx.Tx]{
		client: client,
		db:     pgxQuerier{pool},
		works:  o.Workers != nil,
		// Postgres commits are durable (synchronous_commit) whatever durable
		// says.
		begin: func(ctx context.Context, _ bool) (pgx.Tx, querier, func(context.Context, bool) error, error) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				return nil, nil, nil, err
			}
			end := func(ctx context.Context, commit bool) error {
				if commit {
					return tx.Commit(ctx)
				}
				return tx.Rollback(ctx)
			}
			return tx, pgxQuerier{tx}, end, nil
		},
		pingDB: func(ctx context.Context) error {
			var v int
			return pool.QueryRow(ctx, `SELECT 1 FROM switchboard_migration LIMIT 1`).Scan(&v)
		},
		closeDB: func() error { pool.Close(); return nil },
	}
	if err := migratePostgres(ctx, pool, q, o); err != nil {
		pool.Close()
		return nil, unavailable("migrate", err)
	}
	return q, nil
}

// migratePostgres runs River's and the store's migrations under a session
// advisory lock: River's migrator does not lock, and replicas starting
// together would otherwise race on the same DDL.
func migratePostgres(ctx context.Context, pool *pgxpool.Pool, q queue, o Options) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	key := migrationLockKey(o.Schema)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); uerr != nil {
			// A lock left behind would block the next start: drop the
			// session that holds it.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
			if err == nil {
				err = fmt.Errorf("migration unlock: %w", uerr)
			}
		}
	}()
	if o.Schema != "" {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{o.Schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if err := migrateRiver(ctx, riverpgxv5.New(pool), o.Schema, newSlogLogger(o.Logger.WithField(logfield.Component, "river"))); err != nil {
		return err
	}
	return migrateOwn(ctx, q, postgresDialect)
}

func migrationLockKey(schema string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("switchboard migrate " + schema))
	return int64(h.Sum64())
}
