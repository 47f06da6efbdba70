package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
)

// migration is one step of the store's own schema. Steps are append-only:
// a released step is never edited, a change is a new step.
type migration struct {
	version int
	stmts   func(d dialect) []string
}

var migrations = []migration{
	{version: 1, stmts: func(d dialect) []string {
		return []string{
			`CREATE TABLE IF NOT EXISTS deliveries (
				id          TEXT PRIMARY KEY,
				event       TEXT NOT NULL,
				payload     ` + d.blobType + ` NOT NULL,
				received_at ` + d.timeType + ` NOT NULL
			)`,
			// Retention deletes by age.
			`CREATE INDEX IF NOT EXISTS deliveries_received_at_idx ON deliveries (received_at)`,
			`CREATE TABLE IF NOT EXISTS action_outcomes (
				delivery_id  TEXT NOT NULL,
				rule_name    TEXT NOT NULL,
				action_index INTEGER NOT NULL,
				kind         TEXT NOT NULL,
				state        TEXT NOT NULL,
				attempts     INTEGER NOT NULL DEFAULT 0,
				last_error   TEXT NOT NULL DEFAULT '',
				detail       TEXT NOT NULL DEFAULT '',
				updated_at   ` + d.timeType + ` NOT NULL,
				PRIMARY KEY (delivery_id, rule_name, action_index)
			)`,
			`CREATE INDEX IF NOT EXISTS action_outcomes_updated_at_idx ON action_outcomes (updated_at)`,
		}
	}},
	{version: 2, stmts: func(d dialect) []string {
		return []string{
			// One row per event (GUID) the catch-up asked GitHub to deliver
			// again: the claim is written before the call, so neither a
			// later pass nor another replica asks twice (see
			// ClaimRedelivery).
			`CREATE TABLE IF NOT EXISTS redeliveries (
				guid             TEXT PRIMARY KEY,
				hook_delivery_id BIGINT NOT NULL,
				state            TEXT NOT NULL,
				detail           TEXT NOT NULL DEFAULT '',
				claimed_at       ` + d.timeType + ` NOT NULL,
				updated_at       ` + d.timeType + ` NOT NULL
			)`,
			// Retention deletes by age.
			`CREATE INDEX IF NOT EXISTS redeliveries_claimed_at_idx ON redeliveries (claimed_at)`,
			// Named points in time that periodic work resumes from, such as
			// how far back the catch-up has looked.
			`CREATE TABLE IF NOT EXISTS maintenance_marks (
				name TEXT PRIMARY KEY,
				at   ` + d.timeType + ` NOT NULL
			)`,
		}
	}},
	{version: 3, stmts: func(d dialect) []string {
		// The history the admin API shows: what processing found out about
		// each delivery and why each rule matched or not, each action's
		// rendered fields and links, and every attempt.
		return []string{
			`ALTER TABLE deliveries ADD COLUMN replay_of TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE deliveries ADD COLUMN hook_id TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE deliveries ADD COLUMN user_agent TEXT NOT NULL DEFAULT ''`,
			// What processing found, in a table of its own: SQLite rewrites
			// a whole row on UPDATE, payload and all (up to 25 MB).
			`CREATE TABLE IF NOT EXISTS delivery_results (
				delivery_id   TEXT PRIMARY KEY,
				action        TEXT NOT NULL DEFAULT '',
				repo          TEXT NOT NULL DEFAULT '',
				sender        TEXT NOT NULL DEFAULT '',
				status        TEXT NOT NULL,
				error         TEXT NOT NULL DEFAULT '',
				processed_at  ` + d.timeType + ` NOT NULL,
				rules_matched INTEGER NOT NULL DEFAULT 0,
				explanation   TEXT NOT NULL DEFAULT ''
			)`,
			// Paging newest first by (received_at, id).
			`CREATE INDEX IF NOT EXISTS deliveries_received_at_id_idx ON deliveries (received_at, id)`,
			`CREATE INDEX IF NOT EXISTS deliveries_replay_of_idx ON deliveries (replay_of) WHERE replay_of <> ''`,
			`ALTER TABLE action_outcomes ADD COLUMN action_id TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE action_outcomes ADD COLUMN seq INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE action_outcomes ADD COLUMN params TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE action_outcomes ADD COLUMN links TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE action_outcomes ADD COLUMN next_attempt_at ` + d.timeType,
			`ALTER TABLE action_outcomes ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0`,
			`ALTER TABLE action_outcomes ADD COLUMN job_id BIGINT NOT NULL DEFAULT 0`,
			`ALTER TABLE action_outcomes ADD COLUMN job_kind TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE action_outcomes ADD COLUMN job_args TEXT NOT NULL DEFAULT ''`,
			`CREATE INDEX IF NOT EXISTS action_outcomes_action_id_idx ON action_outcomes (action_id)`,
			`CREATE TABLE IF NOT EXISTS action_attempts (
				action_id   TEXT NOT NULL,
				n           INTEGER NOT NULL,
				delivery_id TEXT NOT NULL,
				started_at  ` + d.timeType + ` NOT NULL,
				duration_ms BIGINT NOT NULL DEFAULT 0,
				outcome     TEXT NOT NULL,
				error       TEXT NOT NULL DEFAULT '',
				PRIMARY KEY (action_id, n)
			)`,
			// Retention deletes a delivery's attempts with it.
			`CREATE INDEX IF NOT EXISTS action_attempts_delivery_idx ON action_attempts (delivery_id)`,
		}
	}},
	// supersede: true (supersede.go).
	{version: 4, stmts: supersedeMigration},
	{version: 5, stmts: func(dialect) []string {
		// deliveries_received_at_id_idx (received_at, id) serves every
		// query by age too; the narrower index only cost each delivery
		// one more index insert in the intake transaction.
		return []string{`DROP INDEX IF EXISTS deliveries_received_at_idx`}
	}},
}

// migrateOwn applies the store's pending migrations in one transaction, so
// a failed start leaves the schema as it was. On Postgres the caller holds
// an advisory lock, so replicas starting together apply each step once.
func migrateOwn(ctx context.Context, q queue, d dialect) error {
	return q.inTx(ctx, true, func(ctx context.Context, tx querier, _ txJobs) error {
		if _, err := tx.exec(ctx, `CREATE TABLE IF NOT EXISTS switchboard_migration (
			version    INTEGER PRIMARY KEY,
			applied_at `+d.timeType+` NOT NULL
		)`); err != nil {
			return fmt.Errorf("create switchboard_migration: %w", err)
		}
		applied := map[int]bool{}
		rs, err := tx.query(ctx, `SELECT version FROM switchboard_migration`)
		if err != nil {
			return fmt.Errorf("read switchboard_migration: %w", err)
		}
		for rs.Next() {
			var v int
			if err := rs.Scan(&v); err != nil {
				rs.Close()
				return err
			}
			applied[v] = true
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		for _, m := range migrations {
			if applied[m.version] {
				continue
			}
			for _, stmt := range m.stmts(d) {
				if _, err := tx.exec(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %s: %w", m.version, firstLine(stmt), err)
				}
			}
			if _, err := tx.exec(ctx, `INSERT INTO switchboard_migration (version, applied_at) VALUES ($1, $2)`,
				m.version, d.timeArg(time.Now())); err != nil {
				return fmt.Errorf("migration %d: record: %w", m.version, err)
			}
		}
		return nil
	})
}

// migrateRiver brings River's own tables up to date.
func migrateRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], schema string, logger *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger, Schema: schema})
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}
