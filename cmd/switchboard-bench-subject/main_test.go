package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// waitLimit bounds every wait; a failure deadline, not a measured duration.
const waitLimit = 20 * time.Second

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		secret string
		want   string // "" = accepted
	}{
		{"floor", []string{"-subject", "floor", "-listen", "127.0.0.1:3201"}, "s", ""},
		{"probe", []string{"-subject", "sqlite-probe", "-db", "p.db"}, "s", ""},
		{"no secret", []string{"-subject", "floor"}, "", "$" + secretEnv},
		{"no subject", nil, "s", `-subject "": want floor or sqlite-probe`},
		{"unknown subject", []string{"-subject", "nginx"}, "s", "want floor or sqlite-probe"},
		{"probe without a file", []string{"-subject", "sqlite-probe"}, "s", "needs -db"},
		{"floor with a file", []string{"-subject", "floor", "-db", "p.db"}, "s", "-db is for"},
		{"remote", []string{"-subject", "floor", "-listen", "0.0.0.0:3201"}, "s", "not a loopback address"},
		{"no port", []string{"-subject", "floor", "-listen", "127.0.0.1"}, "s", "-listen"},
		{"extra argument", []string{"-subject", "floor", "x"}, "s", "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFlags(tc.args, tc.secret, io.Discard)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("parseFlags: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("parseFlags = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestServe runs each subject over loopback TCP until cancelled.
func TestServe(t *testing.T) {
	const secret = "subject-secret"
	body := []byte(`{"ref":"refs/heads/main"}`)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	db := filepath.Join(t.TempDir(), "probe.db")

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"floor", []string{"-subject", "floor"}},
		{"sqlite-probe", []string{"-subject", "sqlite-probe", "-db", db}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			addr := make(chan net.Addr, 1)
			done := make(chan error, 1)
			var stderr bytes.Buffer
			go func() { done <- run(ctx, tc.args, secret, &stderr, func(a net.Addr) { addr <- a }) }()
			var url string
			select {
			case a := <-addr:
				url = "http://" + a.String() + "/webhook"
			case err := <-done:
				t.Fatalf("run ended: %v", err)
			case <-time.After(waitLimit):
				t.Fatal("not listening")
			}
			for _, s := range []struct {
				sig  string
				want int
			}{{sig, http.StatusAccepted}, {"sha256=00", http.StatusUnauthorized}} {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("X-GitHub-Event", "push")
				req.Header.Set("X-GitHub-Delivery", "d-1")
				req.Header.Set("X-Hub-Signature-256", s.sig)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != s.want {
					t.Errorf("signature %q: status %d, want %d", s.sig, resp.StatusCode, s.want)
				}
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(waitLimit):
				t.Fatal("run did not stop")
			}
			if tc.name == "sqlite-probe" {
				if !strings.Contains(stderr.String(), "probe: 1 deliveries in 1 transactions") {
					t.Errorf("stderr: %q", stderr.String())
				}
				conn, err := sql.Open("sqlite", db)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				var n int
				if err := conn.QueryRow(`SELECT count(*) FROM deliveries WHERE id = 'd-1'`).Scan(&n); err != nil || n != 1 {
					t.Errorf("%d rows for d-1 (%v), want 1", n, err)
				}
			}
		})
	}
}
