package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"modernc.org/sqlite"
)

func openCachedSQLite(t *testing.T) *sql.DB {
	t.Helper()
	dsn, err := sqliteDSN(filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(stmtCacheConnector{c})
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(`CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// cachedCount is the number of statements the one connection holds.
func cachedCount(t *testing.T, db *sql.DB) int {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := -1
	if err := conn.Raw(func(dc any) error {
		n = len(dc.(*cachingConn).stmts)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStmtCache(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, db *sql.DB)
	}{
		{name: "reused with fresh bindings", run: func(t *testing.T, db *sql.DB) {
			for i := range 5 {
				if _, err := db.Exec(`INSERT INTO kv (k, v) VALUES ($1, $2)`, i, fmt.Sprint("v", i)); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 5 {
				var v string
				if err := db.QueryRow(`SELECT v FROM kv WHERE k = $1`, i).Scan(&v); err != nil || v != fmt.Sprint("v", i) {
					t.Fatalf("k=%d: %q, %v", i, v, err)
				}
			}
		}},
		{name: "same query while its rows are open", run: func(t *testing.T, db *sql.DB) {
			if _, err := db.Exec(`INSERT INTO kv (k, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')`); err != nil {
				t.Fatal(err)
			}
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			const q = `SELECT v FROM kv WHERE k >= $1 ORDER BY k`
			outer, err := tx.Query(q, 1)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for outer.Next() {
				var v string
				if err := outer.Scan(&v); err != nil {
					t.Fatal(err)
				}
				var inner string
				if err := tx.QueryRow(q, 3).Scan(&inner); err != nil || inner != "c" {
					t.Fatalf("inner query: %q, %v", inner, err)
				}
				got = append(got, v)
			}
			if err := outer.Err(); err != nil {
				t.Fatal(err)
			}
			outer.Close()
			if fmt.Sprint(got) != "[a b c]" {
				t.Fatalf("outer rows = %v", got)
			}
		}},
		{name: "bounded", run: func(t *testing.T, db *sql.DB) {
			for i := range stmtCacheSize + 20 {
				var n int
				if err := db.QueryRow(fmt.Sprintf(`SELECT %d + $1`, i), 1).Scan(&n); err != nil || n != i+1 {
					t.Fatalf("query %d: %d, %v", i, n, err)
				}
			}
			if n := cachedCount(t, db); n > stmtCacheSize {
				t.Fatalf("%d statements cached, bound is %d", n, stmtCacheSize)
			}
		}},
		{name: "usable after an error", run: func(t *testing.T, db *sql.DB) {
			const ins = `INSERT INTO kv (k, v) VALUES ($1, $2)`
			if _, err := db.Exec(ins, 1, "a"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ins, 1, "again"); err == nil {
				t.Fatal("duplicate key accepted")
			}
			if _, err := db.Exec(ins, 2, "b"); err != nil {
				t.Fatalf("after a failed run: %v", err)
			}
		}},
		{name: "scripts", run: func(t *testing.T, db *sql.DB) {
			if _, err := db.Exec(`INSERT INTO kv (k, v) VALUES (1, 'a'); INSERT INTO kv (k, v) VALUES (2, 'b')`); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM kv`).Scan(&n); err != nil || n != 2 {
				t.Fatalf("count = %d, %v", n, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, openCachedSQLite(t)) })
	}
}
