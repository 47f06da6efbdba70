package benchsubject

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const testSecret = "bench-subject-secret"

// waitLimit bounds every wait for something asynchronous; it is a failure
// deadline, not a measured duration.
const waitLimit = 20 * time.Second

func TestFloor(t *testing.T) {
	body := []byte(`{"zen":"Keep it logically awesome."}`)
	tests := []struct {
		name, method, secret string
		sig                  string // "" = signed with secret
		want                 int
	}{
		{"signed", http.MethodPost, testSecret, "", http.StatusAccepted},
		{"wrong secret", http.MethodPost, "other", "", http.StatusUnauthorized},
		{"sha1 only", http.MethodPost, testSecret, "sha1=0123", http.StatusUnauthorized},
		{"not hex", http.MethodPost, testSecret, "sha256=zz", http.StatusUnauthorized},
		{"GET", http.MethodGet, testSecret, "", http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/webhook", bytes.NewReader(body))
			sig := tc.sig
			if sig == "" {
				sig = sign(tc.secret, body)
			}
			req.Header.Set("X-Hub-Signature-256", sig)
			rec := httptest.NewRecorder()
			Floor(testSecret).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
		})
	}
	t.Run("GitHub's test vector", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader([]byte("Hello, World!")))
		req.Header.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
		rec := httptest.NewRecorder()
		Floor("It's a Secret to Everybody").ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			t.Errorf("status %d, want 202", rec.Code)
		}
	})
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// post sends one delivery signed with secret to h and returns the status.
func post(t *testing.T, h http.Handler, secret, id string, body []byte) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	if id != "" {
		req.Header.Set("X-GitHub-Delivery", id)
	}
	req.Header.Set("X-Hub-Signature-256", sign(secret, body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func openTestProbe(t *testing.T) (*Probe, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "probe.db")
	p, err := OpenProbe(context.Background(), path, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p, path
}

func TestSQLiteProbeAnswers(t *testing.T) {
	p, _ := openTestProbe(t)
	p.Start()
	body := []byte(`{"ref":"refs/heads/main"}`)
	tests := []struct {
		name   string
		secret string
		id     string
		want   int
		rows   int64 // rows stored after the request
	}{
		{"valid", testSecret, "d-1", http.StatusAccepted, 1},
		{"duplicate stores nothing more", testSecret, "d-1", http.StatusAccepted, 1},
		{"wrong secret", "other", "d-2", http.StatusUnauthorized, 1},
		{"no delivery ID", testSecret, "", http.StatusBadRequest, 1},
		{"another valid", testSecret, "d-3", http.StatusAccepted, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := post(t, p, tc.secret, tc.id, body); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
			if n, err := p.Count(context.Background()); err != nil || n != tc.rows {
				t.Errorf("%d rows (%v), want %d", n, err, tc.rows)
			}
		})
	}
	t.Run("GET", func(t *testing.T) {
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/webhook", nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("status %d, want 405", rec.Code)
		}
	})
	t.Run("stored body is the raw body", func(t *testing.T) {
		var got []byte
		if err := p.db.QueryRow(`SELECT payload FROM deliveries WHERE id = 'd-3'`).Scan(&got); err != nil || !bytes.Equal(got, body) {
			t.Errorf("payload %q (%v), want %q", got, err, body)
		}
	})
	t.Run("after close", func(t *testing.T) {
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if got := post(t, p, testSecret, "d-4", body); got != http.StatusServiceUnavailable {
			t.Errorf("status %d after close, want 503", got)
		}
	})
}

// TestSQLiteProbeGroupCommit shows that deliveries waiting together share
// one transaction: they are queued before the writer starts.
func TestSQLiteProbeGroupCommit(t *testing.T) {
	p, _ := openTestProbe(t)
	const n = 20
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = post(t, p, testSecret, fmt.Sprintf("d-%d", i), []byte(fmt.Sprintf(`{"n":%d}`, i)))
		}()
	}
	deadline := time.Now().Add(waitLimit)
	for len(p.reqs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d requests queued", len(p.reqs), n)
		}
		time.Sleep(time.Millisecond)
	}
	p.Start()
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusAccepted {
			t.Errorf("request %d answered %d", i, c)
		}
	}
	if b, r := p.Stats(); b != 1 || r != n {
		t.Errorf("%d rows in %d transactions, want %d in 1", r, b, n)
	}
	if got, err := p.Count(context.Background()); err != nil || got != n {
		t.Errorf("%d rows stored (%v), want %d", got, err, n)
	}
}
