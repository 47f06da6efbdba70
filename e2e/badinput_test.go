package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawHook is a signed JSON delivery of body written out by hand, with extra
// header lines (each without its CRLF) after the usual ones.
func rawHook(body []byte, extra ...string) []byte {
	var b strings.Builder
	b.WriteString("POST /webhook HTTP/1.1\r\nHost: switchboard\r\nContent-Type: application/json\r\n")
	fmt.Fprintf(&b, "X-Hub-Signature-256: %s\r\nContent-Length: %d\r\n", sign(secret, body), len(body))
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.Write(body)
	return []byte(b.String())
}

// sendRaw writes req on a new TCP connection to base, bytes that Go's HTTP
// client refuses to send, and reads the answer while it writes.
func sendRaw(t *testing.T, base string, req []byte) answer {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan struct{})
	t.Cleanup(func() {
		conn.Close()
		<-wrote
	})
	go func() {
		defer close(wrote)
		// The server may answer and hang up before it has read it all: a
		// failed write is expected then.
		_, _ = conn.Write(req)
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		// A reset after the whole answer, for bytes the server left
		// unread, is not a short answer.
		t.Fatalf("reading the answer's body: %v", err)
	}
	return answer{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// webhookAnswers is how many webhook requests intake has answered.
func webhookAnswers(t *testing.T, base string) float64 {
	t.Helper()
	sum := 0.0
	for _, code := range []string{"200", "202", "400", "401", "405", "413", "415", "503"} {
		sum += metric(t, base, "switchboard_webhook_requests_total", map[string]string{"status": code})
	}
	return sum
}

// intakeLogged counts intake's log lines about one request.
func intakeLogged(srv *running) int {
	n := 0
	for _, e := range srv.Logs.AllEntries() {
		if strings.HasPrefix(e.Message, "webhook ") {
			n++
		}
	}
	return n
}

// Bytes that Go's HTTP server refuses before the handler runs: a control
// byte in a header is 400 and a header block over 64 KiB
// (handlers.MaxHeaderBytes) 431, both in plain
// text, neither logged nor counted by intake. The same request with clean
// headers is accepted, so it is the byte or the size that is refused.
func TestHeadersRefusedByGosServer(t *testing.T) {
	srv := startServer(t, intakeConfig, nil)
	body := []byte(`{"ref":"refs/heads/main","repository":{"full_name":"o/r"}}`)

	a := sendRaw(t, srv.URL, rawHook(body, "X-GitHub-Event: push", "X-GitHub-Delivery: raw-ok"))
	if a.status != http.StatusAccepted || a.body != `{"delivery":"raw-ok","status":"queued"}` {
		t.Fatalf("clean raw request: %d %s, want 202 queued", a.status, a.body)
	}

	cases := []struct {
		name   string
		req    []byte
		status int
		body   string
	}{
		{"NUL in the delivery header", rawHook(body, "X-GitHub-Event: push", "X-GitHub-Delivery: raw-\x00nul"),
			400, "400 Bad Request"},
		{"0x01 in another header", rawHook(body, "X-GitHub-Event: push", "X-GitHub-Delivery: raw-soh", "X-Note: a\x01b"),
			400, "400 Bad Request"},
		{"header block over 64 KiB", rawHook(body, "X-GitHub-Event: push", "X-GitHub-Delivery: raw-64k",
			"X-Pad: "+strings.Repeat("p", 64<<10+8<<10)),
			431, "431 Request Header Fields Too Large"},
		{"header block over 1 MiB", rawHook(body, "X-GitHub-Event: push", "X-GitHub-Delivery: raw-big",
			"X-Pad: "+strings.Repeat("p", 1<<20+64<<10)),
			431, "431 Request Header Fields Too Large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answered, logged := webhookAnswers(t, srv.URL), intakeLogged(srv)
			a := sendRaw(t, srv.URL, c.req)
			if a.status != c.status || a.body != c.body {
				t.Errorf("got %d %q, want %d %q", a.status, a.body, c.status, c.body)
			}
			if ct := a.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type = %q, want Go's text/plain; charset=utf-8", ct)
			}
			if n := webhookAnswers(t, srv.URL); n != answered {
				t.Errorf("intake counted %v answers, want none", n-answered)
			}
			if n := intakeLogged(srv); n != logged {
				t.Errorf("intake logged %d lines, want none", n-logged)
			}
		})
	}
}

// An event no rule listens to is accepted and stored, then processed with
// no action.
func TestUnknownEventProcessedWithNoActions(t *testing.T) {
	srv := startServer(t, intakeConfig, nil)
	a := send(t, srv.URL+"/webhook", delivery{event: "frobnicate", id: "frob-1", body: []byte(`{"action":"spun","repository":{"full_name":"o/r"}}`)})
	if a.status != http.StatusAccepted || a.body != `{"delivery":"frob-1","status":"queued"}` {
		t.Fatalf("got %d %s, want 202 queued", a.status, a.body)
	}
	// The event label is bounded: a name GitHub does not send is "other".
	processed := map[string]string{"event": "other", "status": "processed"}
	eventually(t, 30*time.Second, "the frobnicate delivery processed", func() bool {
		return metric(t, srv.URL, "switchboard_deliveries_processed_total", processed) == 1
	})
	found := false
	for _, e := range srv.Logs.AllEntries() {
		if e.Message != "delivery processed" || e.Data["delivery"] != "frob-1" {
			continue
		}
		found = true
		if e.Data["event"] != "frobnicate" || e.Data["actions"] != 0 || e.Data["queued"] != 0 {
			t.Errorf("logged %v, want event frobnicate, actions 0, queued 0", e.Data)
		}
	}
	if !found {
		t.Error(`no "delivery processed" line for frob-1`)
	}
}
