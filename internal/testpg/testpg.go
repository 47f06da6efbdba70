// Package testpg gives a test a Postgres schema of its own on the server
// named by SWITCHBOARD_TEST_POSTGRES, dropped when the test ends.
package testpg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the Postgres the tests run against: unset, the Postgres cases
// are skipped; set but unreachable, they fail (the store's Open fails).
const Env = "SWITCHBOARD_TEST_POSTGRES"

// Schema returns the server's URL and a fresh schema name starting with
// prefix, which is dropped with everything in it when t ends. It skips t
// when Env is unset.
func Schema(t testing.TB, prefix string) (dsn, schema string) {
	t.Helper()
	dsn = os.Getenv(Env)
	if dsn == "" {
		t.Skip(Env + " is not set")
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema = prefix + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop test schema: connect: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	return dsn, schema
}
