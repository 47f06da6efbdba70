package handlers

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestNewRouterRefuses(t *testing.T) {
	tests := []struct {
		name string
		opts func(*Options)
		want string
	}{
		{"no secrets func", func(o *Options) { o.Secrets = nil }, "no webhook secret"},
		{"no secrets", func(o *Options) { o.Secrets = func() []string { return nil } }, "no webhook secret"},
		{"an empty secret", func(o *Options) { o.Secrets = func() []string { return []string{testSecret, ""} } }, "secret 2 of 2 is empty"},
		{"relative path", func(o *Options) { o.WebhookPath = "webhook" }, "absolute path"},
		{"path with a variable", func(o *Options) { o.WebhookPath = "/hook/{id}" }, "absolute path"},
		{"path of another endpoint", func(o *Options) { o.WebhookPath = "/metrics" }, "taken"},
		{"negative size limit", func(o *Options) { o.MaxPayloadBytes = -1 }, "positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{Secrets: func() []string { return []string{testSecret} }}
			tt.opts(&o)
			_, err := NewRouter(o, newFakeStore())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewRouter error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
	t.Run("no store", func(t *testing.T) {
		_, err := NewRouter(Options{Secrets: func() []string { return []string{testSecret} }}, nil)
		if err == nil {
			t.Fatal("NewRouter built a router with no store")
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		store  func(*fakeStore)
		status int
		body   string
		allow  string
	}{
		{name: "healthz", method: "GET", path: "/healthz", status: 200, body: `{"status":"ok"}`},
		{name: "healthz while the store is down", method: "GET", path: "/healthz",
			store: func(f *fakeStore) { f.pingErr = errStoreDown }, status: 200, body: `{"status":"ok"}`},
		{name: "readyz", method: "GET", path: "/readyz", status: 200, body: `{"status":"ok"}`},
		{name: "readyz while the store fails", method: "GET", path: "/readyz",
			store: func(f *fakeStore) { f.pingErr = errStoreDown }, status: 503, body: `{"error":"store unavailable"}`},
		{name: "readyz while the store hangs", method: "GET", path: "/readyz",
			store: func(f *fakeStore) { f.pingBlocks = true }, status: 503, body: `{"error":"store unavailable"}`},
		{name: "POST healthz", method: "POST", path: "/healthz", status: 405, body: `{"error":"method not allowed"}`, allow: "GET, HEAD"},
		{name: "unknown path", method: "GET", path: "/nope", status: 404, body: `{"error":"not found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, func(o *Options) { o.ReadyTimeout = 50 * time.Millisecond })
			if tt.store != nil {
				ts.store.mu.Lock()
				tt.store(ts.store)
				ts.store.mu.Unlock()
			}
			got := ts.send(t, hook{method: tt.method, path: tt.path})
			if got.status != tt.status || got.body != tt.body {
				t.Errorf("got %d %s, want %d %s", got.status, got.body, tt.status, tt.body)
			}
			if a := got.header.Get("Allow"); a != tt.allow {
				t.Errorf("Allow = %q, want %q", a, tt.allow)
			}
			if strings.Contains(got.body, errStoreDown.Error()) {
				t.Errorf("answer shows the store's error: %s", got.body)
			}
		})
	}
}

// TestMetrics checks /metrics serves intake's series with the counts of the
// requests made, and that a second router on the same registry carries on.
func TestMetrics(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, h := range []hook{
		signedHook("push", "m-1", pushBody),
		signedHook("push", "m-2", pushBody),
		signedHook("push", "m-1", pushBody),            // duplicate
		{method: "GET", path: "/webhook"},              // 405
		{method: "POST", path: "/webhook", event: "x"}, // 400
	} {
		ts.send(t, h)
	}
	got := scrape(t, ts.URL)
	for _, want := range []string{
		`switchboard_webhook_requests_total{status="202"} 2`,
		`switchboard_webhook_requests_total{status="200"} 1`,
		`switchboard_webhook_requests_total{status="405"} 1`,
		`switchboard_webhook_requests_total{status="400"} 1`,
		`switchboard_webhook_requests_total{status="503"} 0`,
		`switchboard_webhook_request_duration_seconds_count 5`,
		// Bodies read in full: the three pushes (the 400 for a missing
		// header is answered before the body is read, the 405 before all).
		`switchboard_webhook_payload_bytes_count 3`,
		// Every body's room in the budget is given back.
		`switchboard_webhook_inflight_body_bytes 0`,
	} {
		if !got[want] {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// A second router on the same registry (a config reload) reuses the
	// registered series.
	st := newFakeStore()
	if _, err := NewRouter(Options{Secrets: func() []string { return []string{testSecret} }, Registry: ts.reg}, st); err != nil {
		t.Fatalf("second NewRouter on the same registry: %v", err)
	}
	// A collector of another kind under an intake name is a real conflict.
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "switchboard_webhook_payload_bytes", Help: "x"}))
	_, err := NewRouter(Options{Secrets: func() []string { return []string{testSecret} }, Registry: reg}, st)
	if err == nil {
		t.Error("NewRouter over a registry with a conflicting collector: no error")
	}
}

// scrape returns the sample lines of /metrics as a set.
func scrape(t *testing.T, base string) map[string]bool {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	lines := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		lines[sc.Text()] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
