package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresDatabase creates a fresh database on the server named by
// SWITCHBOARD_TEST_POSTGRES and returns its URL and an admin connection. It
// skips when the variable is unset and fails when the server is unreachable.
func postgresDatabase(t *testing.T) (dsn, name string, admin *pgx.Conn) {
	t.Helper()
	base := os.Getenv("SWITCHBOARD_TEST_POSTGRES")
	if base == "" {
		t.Skip("SWITCHBOARD_TEST_POSTGRES is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("SWITCHBOARD_TEST_POSTGRES is set but unreachable: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name = "switchboard_e2e_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.Exec(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS true")
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database: %v", err)
		}
		admin.Close(ctx)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String(), name, admin
}

const postgresConfig = `
server: {addr: "127.0.0.1:0", shutdown_timeout: 5s}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: postgres, dsn: "${DSN}"}
rules:
  - name: log-pushes
    on: [push]
    do:
      - log: {message: "push {{ .Delivery }}"}
`

// While the store cannot be reached intake answers 503 (GitHub then shows
// the delivery as failed, so it can be redelivered) and /readyz fails; once
// the database is back, the same delivery is accepted.
func TestStoreUnavailableAnswers503(t *testing.T) {
	dsn, name, admin := postgresDatabase(t)
	srv := startServer(t, postgresConfig, map[string]string{"DSN": dsn})
	hook := srv.URL + "/webhook"
	body := pushTo(t, "main")

	if a := send(t, hook, delivery{event: "push", id: "pg-1", body: body}); a.status != http.StatusAccepted {
		t.Fatalf("before the outage: %d %s", a.status, a.body)
	}

	ctx := context.Background()
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS false"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "a 503 while the database refuses connections", func() bool {
		a := send(t, hook, delivery{event: "push", id: "pg-2", body: body})
		if a.status == http.StatusServiceUnavailable && a.body != `{"error":"store unavailable"}` {
			t.Fatalf("503 body = %s", a.body)
		}
		return a.status == http.StatusServiceUnavailable
	})
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage = %d, want 503", resp.StatusCode)
	}

	if _, err := admin.Exec(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS true"); err != nil {
		t.Fatal(err)
	}
	// GitHub's redelivery of the refused delivery is accepted, not a duplicate.
	eventually(t, 20*time.Second, "the redelivery to be accepted", func() bool {
		a := send(t, hook, delivery{event: "push", id: "pg-2", body: body})
		if a.status == http.StatusOK {
			t.Fatalf("redelivery after a 503 answered %s: the refused delivery was stored", a.body)
		}
		return a.status == http.StatusAccepted
	})
}
