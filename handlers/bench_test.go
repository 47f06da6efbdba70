package handlers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkIntake measures intake's own cost per 8 KB delivery (signature,
// size limit, JSON check, answer) over the in-memory fake store, calling
// the router directly so that neither the network nor a database counts.
func BenchmarkIntake(b *testing.B) {
	st := newFakeStore()
	r, _ := newDirectRouter(b, st)
	body := paddedJSON(8192)
	sig := sign(testSecret, []byte(body))
	var seq atomic.Int64
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("bench-%d", seq.Add(1)))
		req.Header.Set("X-Hub-Signature-256", sig)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
