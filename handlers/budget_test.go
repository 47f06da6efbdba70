package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/budget"
)

// The budget for bodies in flight, called directly so that what the handler
// read of each body is exact: with the general share taken, a large body is
// answered 503 with Retry-After without a byte of it read (with a length)
// or after at most one chunk (without); a small delivery still draws on the
// reserved share and is queued; once the share comes back, the large body
// is queued too. Nothing is left held.
func TestBodyBudget(t *testing.T) {
	const (
		limit = 256 << 10
		small = 4 << 10
	)
	// A body without a length is held twice while its chunks are joined:
	// the general share (3.5 × limit) holds that.
	bodies := budget.New(4*limit, limit/2, small)
	st := newFakeStore()
	logger, logs := logtest.NewNullLogger()
	r, err := NewRouter(Options{
		Secrets: func() []string { return []string{testSecret} }, MaxPayloadBytes: limit,
		Logger: logrus.NewEntry(logger), Registry: prometheus.NewRegistry(),
		Bodies: bodies, BudgetWait: 20 * time.Millisecond,
	}, st)
	if err != nil {
		t.Fatal(err)
	}
	large, tiny := paddedJSON(limit-100), pushBody
	if len(tiny) > small {
		t.Fatalf("pushBody is %d bytes, over the small size %d", len(tiny), small)
	}
	send := func(id, body string, chunked bool) (*httptest.ResponseRecorder, int64) {
		cr := &countingReader{r: strings.NewReader(body)}
		req := httptest.NewRequest(http.MethodPost, "/webhook", cr)
		req.ContentLength = int64(len(body))
		if chunked {
			req.ContentLength = -1
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", id)
		req.Header.Set("X-Hub-Signature-256", sign(testSecret, []byte(body)))
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec, cr.n
	}

	// Another holder (a flood of large bodies) has the general share.
	flood, err := bodies.Acquire(context.Background(), bodies.General())
	if err != nil {
		t.Fatal(err)
	}
	for _, chunked := range []bool{false, true} {
		rec, read := send("d-large", large, chunked)
		const want = `{"error":"too many request bodies in flight; retry later"}`
		if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != want {
			t.Errorf("chunked %v: got %d %s, want 503 %s", chunked, rec.Code, rec.Body.String(), want)
		}
		if ra := rec.Header().Get("Retry-After"); ra != "2" {
			t.Errorf("chunked %v: Retry-After = %q, want 2", chunked, ra)
		}
		if c := rec.Header().Get("Connection"); c != "close" {
			t.Errorf("chunked %v: Connection = %q, want close (the body is left unread)", chunked, c)
		}
		// Without a length, the reserved share holds the first chunks of
		// a body that has not shown itself large yet: at most small
		// bytes, then the first chunk beyond finds no room.
		wantRead := int64(0)
		if chunked {
			wantRead = small
		}
		if read > wantRead {
			t.Errorf("chunked %v: read %d bytes of the body, want at most %d", chunked, read, wantRead)
		}
	}
	if rec, _ := send("d-small", tiny, false); rec.Code != http.StatusAccepted {
		t.Errorf("small delivery during the flood: %d %s, want 202", rec.Code, rec.Body.String())
	}
	if _, ok := st.get("d-large"); ok {
		t.Error("the refused large delivery was stored")
	}
	found := false
	for _, e := range logs.AllEntries() {
		if e.Data[fieldReason] == "no room in server.max_inflight_body_bytes" && e.Data["status"] == 503 {
			found = true
		}
	}
	if !found {
		t.Error(`no "webhook rejected" line with reason "no room in server.max_inflight_body_bytes"`)
	}

	flood.Release()
	for _, chunked := range []bool{false, true} {
		if rec, _ := send("d-large-later", large, chunked); rec.Code/100 != 2 {
			t.Errorf("chunked %v: large delivery with room: %d %s, want 2xx", chunked, rec.Code, rec.Body.String())
		}
	}
	if g, res := bodies.InUse(); g != 0 || res != 0 {
		t.Errorf("%d+%d bytes still held after every request ended", g, res)
	}
}

// The budget must hold one body of the payload limit, or a delivery of that
// size could never be accepted.
func TestNewRouterRefusesBudgetUnderLimit(t *testing.T) {
	_, err := NewRouter(Options{
		Secrets: func() []string { return []string{testSecret} }, MaxPayloadBytes: 1 << 20,
		Bodies: budget.New(1<<20, 1<<10, 1<<10),
	}, newFakeStore())
	const want = "handlers: the budget for bodies in flight (1048576 bytes, 1047552 for large ones) cannot hold one body of the payload limit (1048576 bytes)"
	if err == nil || err.Error() != want {
		t.Errorf("NewRouter = %v, want %q", err, want)
	}
}

// A body over SmallBodyBytes with a Content-Length takes room for itself
// and the store's StoreCopies copies before it is read, at most the general
// share: with room for twice its size only, it waits and is answered 503
// unread; with room for three times, it is queued, and everything is given
// back.
func TestLargeBodyHoldsRoomForTheStoresCopies(t *testing.T) {
	const size = SmallBodyBytes + 1<<10
	bodies := budget.New(8*size, size, SmallBodyBytes) // general share: 7 × size
	st := newFakeStore()
	logger, _ := logtest.NewNullLogger()
	r, err := NewRouter(Options{
		Secrets: func() []string { return []string{testSecret} }, MaxPayloadBytes: 2 * size,
		Logger: logrus.NewEntry(logger), Registry: prometheus.NewRegistry(),
		Bodies: bodies, BudgetWait: 20 * time.Millisecond,
	}, st)
	if err != nil {
		t.Fatal(err)
	}
	body := paddedJSON(size)
	send := func(id string) (int, int64) {
		cr := &countingReader{r: strings.NewReader(body)}
		req := httptest.NewRequest(http.MethodPost, "/webhook", cr)
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", id)
		req.Header.Set("X-Hub-Signature-256", sign(testSecret, []byte(body)))
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		return rec.Code, cr.n
	}
	other, err := bodies.Acquire(context.Background(), bodies.General()-(1+StoreCopies)*size+1)
	if err != nil {
		t.Fatal(err)
	}
	if code, read := send("d-two-thirds"); code != http.StatusServiceUnavailable || read != 0 {
		t.Errorf("with room for less than 3 × the body: %d after reading %d bytes, want 503 unread", code, read)
	}
	other.Shrink(1)
	if code, _ := send("d-three"); code != http.StatusAccepted {
		t.Errorf("with room for 3 × the body: %d, want 202", code)
	}
	other.Release()
	if g, res := bodies.InUse(); g != 0 || res != 0 {
		t.Errorf("%d+%d bytes still held", g, res)
	}
}
