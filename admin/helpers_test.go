package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/internal/testpg"
	"github.com/switchboard-dev/switchboard/store"
)

const token = "admin-test-token-0123456789"

// eachDriver runs fn on a fresh SQLite file and on a fresh Postgres schema.
func eachDriver(t *testing.T, fn func(t *testing.T, o store.Options)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "sb.db"), Logger: quietLog()})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn, schema := testpg.Schema(t, "sbadmin_")
		fn(t, store.Options{Driver: store.DriverPostgres, DSN: dsn, Schema: schema, Logger: quietLog()})
	})
}

func quietLog() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

// env is an insert-only store (no workers: nothing runs) behind the API on
// a real HTTP server.
type env struct {
	st  *store.Store
	url string
	now time.Time
}

func newEnv(t *testing.T, o store.Options) *env {
	t.Helper()
	st, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := st.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := &env{st: st, now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	api, err := New(Options{Store: st, Token: func() string { return token }, Logger: quietLog(), Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// deliver stores a delivery received at the given offset from e.now.
func (e *env) deliver(t *testing.T, id, event string, payload string, offset time.Duration) {
	t.Helper()
	dup, err := e.st.Enqueue(context.Background(), store.Delivery{ID: id, Event: event, Payload: []byte(payload),
		ReceivedAt: e.now.Add(offset), HookID: "4242", UserAgent: "GitHub-Hookshot/test"})
	if err != nil || dup {
		t.Fatalf("Enqueue(%s) = %v, %v", id, dup, err)
	}
}

// testArgs is the job of an action in these tests; nothing runs it.
type testArgs struct {
	Delivery string `json:"delivery"`
	Rule     string `json:"rule"`
	Index    int    `json:"index"`
}

func (testArgs) Kind() string { return "run_action" }

func queued(delivery, rule string, index int, kind, params string) store.QueuedAction {
	return store.QueuedAction{Rule: rule, Index: index, Kind: kind, Params: json.RawMessage(params),
		Job: river.InsertManyParams{Args: testArgs{delivery, rule, index}}}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", r.status, err, r.body)
	}
}

// call sends one request with the given Authorization ("" = none).
func call(t *testing.T, method, url, auth string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, strings.TrimSpace(string(b))}
}

func get(t *testing.T, e *env, path string) reply {
	t.Helper()
	return call(t, http.MethodGet, e.url+path, "Bearer "+token)
}

func post(t *testing.T, e *env, path string) reply {
	t.Helper()
	return call(t, http.MethodPost, e.url+path, "Bearer "+token)
}
