package handlers

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/logfield"
)

// failingBody yields data, then fails with err, as a connection that drops
// in the middle of a body does.
type failingBody struct {
	data []byte
	err  error
}

func (b *failingBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, b.err
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

// TestIntakeBodyReadFails checks a body that fails while being read is
// answered 400 {"error":"could not read body"}, with the read error in the
// log's reason only, and nothing stored.
func TestIntakeBodyReadFails(t *testing.T) {
	t.Run("read error", func(t *testing.T) {
		// Called directly, so that the read error is exactly the one given.
		st := newFakeStore()
		r, logs := newDirectRouter(t, st)
		readErr := errors.New("read tcp 127.0.0.1:3000->127.0.0.1:51234: read: connection reset by peer")
		body := []byte(pushBody)
		req := httptest.NewRequest(http.MethodPost, "/webhook", &failingBody{data: body[:100], err: readErr})
		req.ContentLength = int64(len(body))
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", "d-readfail")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)

		if rec.Code != http.StatusBadRequest || rec.Body.String() != `{"error":"could not read body"}` {
			t.Errorf("got %d %s, want 400 {\"error\":\"could not read body\"}", rec.Code, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		if n := st.count(); n != 0 {
			t.Errorf("%d deliveries stored, want none", n)
		}
		wantLog(t, logs, "d-readfail", "reading body: "+readErr.Error())
	})

	t.Run("client gone mid-body", func(t *testing.T) {
		// Over a socket: the client announces the whole body, sends part of
		// it and closes its side; Go's server reads an unexpected EOF.
		ts := newTestServer(t, nil)
		conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatal(err)
		}
		body := []byte(pushBody)
		fmt.Fprintf(conn, "POST /webhook HTTP/1.1\r\nHost: switchboard\r\nX-GitHub-Event: push\r\n"+
			"X-GitHub-Delivery: d-gone\r\nContent-Type: application/json\r\nX-Hub-Signature-256: %s\r\n"+
			"Content-Length: %d\r\n\r\n%s", sign(testSecret, body), len(body), body[:100])
		if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("reading the answer's body: %v", err)
		}
		if resp.StatusCode != http.StatusBadRequest || string(b) != `{"error":"could not read body"}` {
			t.Errorf("got %d %s, want 400 {\"error\":\"could not read body\"}", resp.StatusCode, b)
		}
		if n := ts.store.count(); n != 0 {
			t.Errorf("%d deliveries stored, want none", n)
		}
		wantLog(t, ts.logs, "d-gone", "reading body: unexpected EOF")
	})
}

// wantLog checks logs hold exactly one entry: the Info "webhook rejected"
// of delivery with status 400 and reason.
func wantLog(t *testing.T, logs *logtest.Hook, delivery, reason string) {
	t.Helper()
	entries := logs.AllEntries()
	if len(entries) != 1 {
		t.Fatalf("got %d log entries, want 1: %v", len(entries), entries)
	}
	e := entries[0]
	if e.Level != logrus.InfoLevel || e.Message != "webhook rejected" {
		t.Errorf("logged %v %q, want info \"webhook rejected\"", e.Level, e.Message)
	}
	if e.Data[logfield.Delivery] != delivery || e.Data[logfield.Event] != "push" || e.Data[logfield.Status] != http.StatusBadRequest {
		t.Errorf("fields %v, want delivery %q, event push, status 400", e.Data, delivery)
	}
	if got := e.Data[fieldReason]; got != reason {
		t.Errorf("reason %q, want %q", got, reason)
	}
}
