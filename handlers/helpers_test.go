package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/store"
)

// Secrets used by the tests: the current one and the one being rotated in.
const (
	testSecret    = "test-secret-0f1e2d3c"
	rotatedSecret = "rotated-secret-4b5a69"
)

// testNow is the injected clock's only instant.
var testNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// pushBody is a small push payload in GitHub's shape.
const pushBody = `{"ref":"refs/heads/main","before":"6113728f27ae82c7b1a177c8d03f9e96e0adf246",` +
	`"after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","created":false,"deleted":false,"forced":false,` +
	`"repository":{"id":1296269,"name":"Hello-World","full_name":"octocat/Hello-World",` +
	`"owner":{"login":"octocat"},"default_branch":"main","html_url":"https://github.com/octocat/Hello-World"},` +
	`"pusher":{"name":"octocat","email":"octocat@github.com"},"sender":{"login":"octocat","id":1},` +
	`"installation":{"id":42},"commits":[{"id":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",` +
	`"message":"Update README.md","added":[],"removed":[],"modified":["README.md"]}]}`

// pingBody is a ping payload in GitHub's shape.
const pingBody = `{"zen":"Keep it logically awesome.","hook_id":123,"hook":{"type":"App","id":123,"active":true,` +
	`"events":["push","pull_request"],"config":{"content_type":"json","insecure_ssl":"0","url":"https://example.com/webhook"}},"app_id":4}`

// fakeStore is an in-memory DeliveryStore: deliveries keyed by ID, the key
// being the dedupe, as in the real store.
type fakeStore struct {
	mu         sync.Mutex
	deliveries map[string]store.Delivery
	enqueued   int // successful, non-duplicate Enqueue calls
	failWith   error
	pingErr    error
	pingBlocks bool // Ping waits for its context to end
}

func newFakeStore() *fakeStore {
	return &fakeStore{deliveries: map[string]store.Delivery{}}
}

// Enqueue implements DeliveryStore.
func (f *fakeStore) Enqueue(ctx context.Context, d store.Delivery) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failWith != nil {
		return false, f.failWith
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if _, ok := f.deliveries[d.ID]; ok {
		return true, nil
	}
	d.Payload = bytes.Clone(d.Payload)
	f.deliveries[d.ID] = d
	f.enqueued++
	return false, nil
}

// Ping implements DeliveryStore.
func (f *fakeStore) Ping(ctx context.Context) error {
	f.mu.Lock()
	err, blocks := f.pingErr, f.pingBlocks
	f.mu.Unlock()
	if blocks {
		<-ctx.Done()
		return ctx.Err()
	}
	return err
}

func (f *fakeStore) get(id string) (store.Delivery, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.deliveries[id]
	return d, ok
}

func (f *fakeStore) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enqueued
}

func (f *fakeStore) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failWith = err
}

// testServer is the router over real loopback HTTP with a fake store.
type testServer struct {
	URL   string
	store *fakeStore
	logs  *logtest.Hook
	reg   *prometheus.Registry
}

// newTestServer starts the router on httptest; mod may change the options.
func newTestServer(t *testing.T, mod func(*Options)) *testServer {
	t.Helper()
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	o := Options{
		Secrets:  func() []string { return []string{testSecret, rotatedSecret} },
		Logger:   logrus.NewEntry(logger),
		Registry: prometheus.NewRegistry(),
		Now:      func() time.Time { return testNow },
	}
	if mod != nil {
		mod(&o)
	}
	st := newFakeStore()
	r, err := NewRouter(o, st)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &testServer{URL: srv.URL, store: st, logs: hook, reg: o.Registry}
}

// sign returns the X-Hub-Signature-256 value GitHub sends for body.
func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// signSHA1 returns the legacy X-Hub-Signature value for body.
func signSHA1(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}

// hook is one webhook request; an empty header field is not sent.
type hook struct {
	method      string
	path        string
	event       string
	delivery    string
	contentType string
	sig256      string
	sig1        string
	body        []byte
	chunked     bool // hide the length, so the server cannot know it up front
	extra       http.Header
}

// signedHook is a valid JSON delivery of event with body, signed with
// testSecret.
func signedHook(event, delivery, body string) hook {
	return hook{
		method: http.MethodPost, path: "/webhook", event: event, delivery: delivery,
		contentType: "application/json", sig256: sign(testSecret, []byte(body)),
		sig1: signSHA1(testSecret, []byte(body)), body: []byte(body),
	}
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   string
}

// onlyReader hides a reader's type, so the client cannot learn its length.
type onlyReader struct{ io.Reader }

// send makes the request over HTTP.
func (ts *testServer) send(t *testing.T, h hook) response {
	t.Helper()
	var body io.Reader = bytes.NewReader(h.body)
	if h.chunked {
		body = onlyReader{body}
	}
	req, err := http.NewRequest(h.method, ts.URL+h.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"X-GitHub-Event": h.event, "X-GitHub-Delivery": h.delivery, "Content-Type": h.contentType,
		"X-Hub-Signature-256": h.sig256, "X-Hub-Signature": h.sig1,
	} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	for k, vs := range h.extra {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", h.method, h.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// errStoreDown is the fake store's failure; its text must never reach a
// client.
var errStoreDown = errors.New("disk I/O error at /var/lib/switchboard/internal.db")

// newDirectRouter is the router over st with testSecret, for tests and
// benchmarks that call it directly rather than over HTTP; its log is
// captured in the returned hook.
func newDirectRouter(tb testing.TB, st DeliveryStore) (http.Handler, *logtest.Hook) {
	tb.Helper()
	logger, logs := logtest.NewNullLogger()
	r, err := NewRouter(Options{
		Secrets:  func() []string { return []string{testSecret} },
		Logger:   logrus.NewEntry(logger),
		Registry: prometheus.NewRegistry(),
	}, st)
	if err != nil {
		tb.Fatal(err)
	}
	return r, logs
}
