package handlers

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/logfield"
)

// TestIntakeLogs checks what each kind of answer logs: rejections at Info
// with delivery, event, status and reason; acceptances at Debug; store
// failures at Error; never a secret, a signature or the payload.
func TestIntakeLogs(t *testing.T) {
	secretPayload := `{"ref":"refs/heads/main","token":"payload-marker-77"}`
	tests := []struct {
		name   string
		hook   hook
		fail   bool
		level  logrus.Level
		msg    string
		status int
		reason string // wanted substring of the reason field
	}{
		{
			name: "accepted", hook: signedHook("push", "l-ok", secretPayload),
			level: logrus.DebugLevel, msg: "webhook accepted", status: 202,
		},
		{
			name: "wrong signature",
			hook: func() hook {
				h := signedHook("push", "l-bad", secretPayload)
				h.sig256 = sign("other", h.body)
				return h
			}(),
			level: logrus.InfoLevel, msg: "webhook rejected", status: 401, reason: "does not match",
		},
		{
			name: "sha1 only",
			hook: func() hook {
				h := signedHook("push", "l-sha1", secretPayload)
				h.sig256 = ""
				return h
			}(),
			level: logrus.InfoLevel, msg: "webhook rejected", status: 401, reason: "SHA-1",
		},
		{
			name: "not JSON", hook: signedHook("push", "l-json", "payload-marker-77"),
			level: logrus.InfoLevel, msg: "webhook rejected", status: 400, reason: "not valid JSON",
		},
		{
			name: "store down", hook: signedHook("push", "l-down", secretPayload), fail: true,
			level: logrus.ErrorLevel, msg: "webhook rejected: store write failed", status: 503,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			if tt.fail {
				ts.store.fail(errStoreDown)
			}
			ts.send(t, tt.hook)
			entries := ts.logs.AllEntries()
			if len(entries) != 1 {
				t.Fatalf("got %d log entries, want 1: %v", len(entries), entries)
			}
			e := entries[0]
			if e.Level != tt.level || e.Message != tt.msg {
				t.Errorf("logged %v %q, want %v %q", e.Level, e.Message, tt.level, tt.msg)
			}
			if e.Data[logfield.Delivery] != tt.hook.delivery || e.Data[logfield.Event] != tt.hook.event || e.Data[logfield.Status] != tt.status {
				t.Errorf("fields %v, want delivery %q event %q status %d", e.Data, tt.hook.delivery, tt.hook.event, tt.status)
			}
			if reason, _ := e.Data[fieldReason].(string); !strings.Contains(reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", reason, tt.reason)
			}
			line, err := e.String()
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{testSecret, rotatedSecret, "payload-marker-77", strings.TrimPrefix(tt.hook.sig256, "sha256="),
				strings.TrimPrefix(sign(testSecret, tt.hook.body), "sha256=")} {
				if leak != "" && strings.Contains(line, leak) {
					t.Errorf("log line shows %q: %s", leak, line)
				}
			}
		})
	}
}

// TestIntakeLogsBoundHeaders checks an oversized, hostile delivery header is
// logged cut short and with its control characters replaced.
func TestIntakeLogsBoundHeaders(t *testing.T) {
	ts := newTestServer(t, nil)
	hostile := "x\t" + strings.Repeat("y", 5000)
	ts.send(t, signedHook("push", hostile, pushBody))
	entries := ts.logs.AllEntries()
	if len(entries) != 1 {
		t.Fatalf("got %d log entries, want 1", len(entries))
	}
	got, _ := entries[0].Data[logfield.Delivery].(string)
	if len(got) > 203 || strings.ContainsAny(got, "\t\n") || !strings.HasPrefix(got, "x?yyy") {
		t.Errorf("logged delivery %q (%d bytes), want it bounded and cleaned", got, len(got))
	}
}

// countingReader counts what is read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestOversizeReadsNoFurther checks a body over the limit is read no further
// than one byte past it, and not at all when Content-Length says so. It calls
// the handler directly: over a socket, the server's own buffering would blur
// how much the handler read.
func TestOversizeReadsNoFurther(t *testing.T) {
	const limit = 4096
	for _, announced := range []bool{false, true} {
		t.Run(fmt.Sprintf("content length announced %v", announced), func(t *testing.T) {
			ts := newFakeStore()
			logger, _ := logtest.NewNullLogger()
			r, err := NewRouter(Options{
				Secrets: func() []string { return []string{testSecret} }, MaxPayloadBytes: limit,
				Logger: logrus.NewEntry(logger),
			}, ts)
			if err != nil {
				t.Fatal(err)
			}
			body := &countingReader{r: strings.NewReader(paddedJSON(10 * limit))}
			req := httptest.NewRequest(http.MethodPost, "/webhook", body)
			req.ContentLength = -1
			if announced {
				req.ContentLength = 10 * limit
			}
			req.Header.Set("Content-Type", "application/json")
			// Headers and a well-formed signature, so that the body is
			// what is refused.
			req.Header.Set("X-GitHub-Event", "push")
			req.Header.Set("X-GitHub-Delivery", "d-oversize")
			req.Header.Set("X-Hub-Signature-256", sign(testSecret, []byte("another body")))
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", rec.Code)
			}
			want := int64(limit + 1)
			if announced {
				want = 0
			}
			if body.n > want {
				t.Errorf("read %d bytes of the body, want at most %d", body.n, want)
			}
		})
	}
}

// TestSecretsReload checks the secrets are read per request, so that a config
// reload that swaps them takes effect without a new router.
func TestSecretsReload(t *testing.T) {
	current := make(chan []string, 1)
	current <- []string{testSecret}
	secrets := func() []string {
		s := <-current
		current <- s
		return s
	}
	ts := newTestServer(t, func(o *Options) { o.Secrets = secrets })

	if r := ts.send(t, signedHook("push", "r-1", pushBody)); r.status != 202 {
		t.Fatalf("before the swap: %d %s", r.status, r.body)
	}
	<-current
	current <- []string{rotatedSecret}
	if r := ts.send(t, signedHook("push", "r-2", pushBody)); r.status != 401 {
		t.Errorf("old secret after the swap: %d %s, want 401", r.status, r.body)
	}
	h := signedHook("push", "r-3", pushBody)
	h.sig256 = sign(rotatedSecret, h.body)
	if r := ts.send(t, h); r.status != 202 {
		t.Errorf("new secret after the swap: %d %s, want 202", r.status, r.body)
	}
	// A reload to no usable secret refuses everything rather than nothing.
	<-current
	current <- []string{""}
	h = signedHook("push", "r-4", pushBody)
	h.sig256 = sign("", h.body)
	if r := ts.send(t, h); r.status != 401 {
		t.Errorf("empty secret after the swap: %d %s, want 401", r.status, r.body)
	}
}
