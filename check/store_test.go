package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestStoreSQLite(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "sb.db")
	got := line(t, load(t, "store:\n  dsn: "+dsn+"\n", nil), "store sqlite")
	if want := "store sqlite: OK opened, migrated, written and read back"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, err := os.Stat(dsn); err != nil {
		t.Error(err)
	}
	// A second check finds the tables migrated and writes again.
	if got := line(t, load(t, "store:\n  dsn: "+dsn+"\n", nil), "store sqlite"); got != "store sqlite: OK opened, migrated, written and read back" {
		t.Errorf("second run: %s", got)
	}

	// A file that is not a database.
	bad := filepath.Join(dir, "not-a-db")
	writeFile(t, bad, []byte("this is not an SQLite file, it is long enough to have a header of 100 bytes..............................."))
	got = line(t, load(t, "store:\n  dsn: "+bad+"\n", nil), "store sqlite")
	if want := "store sqlite: FAIL open and migrate: store: unavailable: open sqlite: file is not a database (26)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestStorePostgres runs against SWITCHBOARD_TEST_POSTGRES, in a schema of
// its own (search_path in the URL), and against a closed port.
func TestStorePostgres(t *testing.T) {
	base := os.Getenv("SWITCHBOARD_TEST_POSTGRES")
	if base == "" {
		t.Skip("SWITCHBOARD_TEST_POSTGRES is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("SWITCHBOARD_TEST_POSTGRES is set but unreachable: %v", err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "sbcheck_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	env := map[string]string{"DSN": u.String()}
	got := line(t, load(t, "store:\n  driver: postgres\n  dsn: ${DSN}\n", env), "store postgres")
	if want := "store postgres: OK opened, migrated, written and read back"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM "+schema+".maintenance_marks WHERE name = 'switchboard-check'").Scan(&n); err != nil || n != 1 {
		t.Errorf("mark rows: %d %v", n, err)
	}

	env["DSN"] = "postgres://switchboard:hunter2@127.0.0.1:1/db?sslmode=disable&connect_timeout=5"
	got = line(t, load(t, "store:\n  driver: postgres\n  dsn: ${DSN}\n", env), "store postgres")
	want := "store postgres: FAIL open and migrate: store: unavailable: connect to postgres: failed to connect to `user=switchboard database=db`: 127.0.0.1:1 (127.0.0.1): dial error: dial tcp 127.0.0.1:1: connect: connection refused"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if strings.Contains(got, "hunter2") {
		t.Errorf("the password shows: %s", got)
	}
}
