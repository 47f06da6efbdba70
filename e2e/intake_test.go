package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const intakeConfig = `
server: {addr: "127.0.0.1:0", max_payload_bytes: 4096}
github: {webhook_secret: ["old-secret", "${GITHUB_WEBHOOK_SECRET}"]}
store: {driver: sqlite, dsn: $TMP/switchboard.db}
rules:
  - name: log-pushes
    on: [push]
    do:
      - log: {message: "push {{ .Delivery }}"}
`

// Every row of DESIGN.md's intake table, over real HTTP against server.Run
// with a real SQLite store.
func TestIntakeTable(t *testing.T) {
	srv := startServer(t, intakeConfig, nil)
	hook := srv.URL + "/webhook"

	small := []byte(`{"ref":"refs/heads/main","repository":{"full_name":"o/r"}}`)
	form := []byte("payload=" + url.QueryEscape(string(small)))
	atLimit := []byte(`{"pad":"` + strings.Repeat("x", 4096-10) + `"}`)
	overLimit := append(append([]byte{}, atLimit[:len(atLimit)-2]...), []byte(`x"}`)...)
	if len(atLimit) != 4096 || len(overLimit) != 4097 {
		t.Fatalf("fixture sizes %d %d", len(atLimit), len(overLimit))
	}
	sha1Only := map[string]string{"X-Hub-Signature": "sha1=" + hmacSHA1(secret, small)}

	cases := []struct {
		name   string
		d      delivery
		status int
		body   string // exact, or "" to check only the status
		prefix string // error bodies: prefix of the JSON
	}{
		{name: "valid signature, stored", d: delivery{event: "push", id: "ok-1", body: small}, status: 202, body: `{"delivery":"ok-1","status":"queued"}`},
		{name: "same delivery again", d: delivery{event: "push", id: "ok-1", body: small}, status: 200, body: `{"delivery":"ok-1","status":"duplicate"}`},
		{name: "rotated old secret accepted", d: delivery{event: "push", id: "ok-old", body: small, signature: sign("old-secret", small)}, status: 202, body: `{"delivery":"ok-old","status":"queued"}`},
		{name: "ping", d: delivery{event: "ping", id: "ping-1", body: []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)}, status: 200, body: `{"status":"pong"}`},
		{name: "form-encoded", d: delivery{event: "push", id: "form-1", body: form, contentType: "application/x-www-form-urlencoded"}, status: 202, body: `{"delivery":"form-1","status":"queued"}`},
		{name: "form field payload not JSON", d: delivery{event: "push", id: "form-2", body: []byte("payload=nope"), contentType: "application/x-www-form-urlencoded"}, status: 400, prefix: `{"error":`},
		{name: "signature missing", d: delivery{event: "push", id: "s-1", body: small, signature: "-"}, status: 401, prefix: `{"error":`},
		{name: "signature malformed", d: delivery{event: "push", id: "s-2", body: small, signature: "sha256=zz"}, status: 401, prefix: `{"error":`},
		{name: "signature wrong", d: delivery{event: "push", id: "s-3", body: small, signature: sign("not-the-secret", small)}, status: 401, prefix: `{"error":`},
		{name: "valid sha1 signature alone", d: delivery{event: "push", id: "s-4", body: small, signature: "-", header: sha1Only}, status: 401, prefix: `{"error":`},
		{name: "event header missing", d: delivery{id: "h-1", body: small}, status: 400, prefix: `{"error":`},
		{name: "delivery header missing", d: delivery{event: "push", body: small}, status: 400, prefix: `{"error":`},
		{name: "body not JSON", d: delivery{event: "push", id: "j-1", body: []byte("{not json")}, status: 400, prefix: `{"error":`},
		{name: "body exactly at the limit", d: delivery{event: "push", id: "lim-1", body: atLimit}, status: 202, body: `{"delivery":"lim-1","status":"queued"}`},
		{name: "one byte over the limit", d: delivery{event: "push", id: "lim-2", body: overLimit}, status: 413, prefix: `{"error":`},
		{name: "unsupported content type", d: delivery{event: "push", id: "ct-1", body: small, contentType: "text/plain"}, status: 415, prefix: `{"error":`},
		{name: "method GET", d: delivery{event: "push", id: "m-1", method: http.MethodGet}, status: 405, prefix: `{"error":`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := send(t, hook, c.d)
			if a.status != c.status {
				t.Fatalf("status = %d (%s), want %d", a.status, a.body, c.status)
			}
			if c.body != "" && a.body != c.body {
				t.Errorf("body = %s, want %s", a.body, c.body)
			}
			if c.prefix != "" && !strings.HasPrefix(a.body, c.prefix) {
				t.Errorf("body = %s, want a JSON error", a.body)
			}
			if strings.Contains(a.body, secret) || strings.Contains(a.body, sign(secret, c.d.body)) {
				t.Errorf("answer echoes the secret or the expected signature: %s", a.body)
			}
		})
	}
}

// GitHub's own test vector: the signature is right, so the answer is about
// the body (not JSON: 400), not about the signature (401).
func TestGitHubSignatureTestVector(t *testing.T) {
	cfg := strings.Replace(intakeConfig, `["old-secret", "${GITHUB_WEBHOOK_SECRET}"]`, `"It's a Secret to Everybody"`, 1)
	srv := startServer(t, cfg, nil)
	a := send(t, srv.URL+"/webhook", delivery{
		event: "push", id: "vector-1", body: []byte("Hello, World!"),
		signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
	})
	if a.status != http.StatusBadRequest || !strings.Contains(a.body, "JSON") {
		t.Fatalf("test vector: %d %s, want 400 about JSON", a.status, a.body)
	}
	a = send(t, srv.URL+"/webhook", delivery{
		event: "push", id: "vector-2", body: []byte("Hello, World!"),
		signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18",
	})
	if a.status != http.StatusUnauthorized {
		t.Fatalf("one hex digit off: %d %s, want 401", a.status, a.body)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	srv := startServer(t, intakeConfig, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s = %d, want 200", path, resp.StatusCode)
		}
	}
}
