package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunLoadRoundRobin drives two floor servers as one target list and
// checks each got half the requests, as behind a round-robin balancer; with
// a rate set, every request of the bound is still sent.
func TestRunLoadRoundRobin(t *testing.T) {
	var hits [2]atomic.Int64
	var urls []string
	for i := range hits {
		floor := floorHandler(testSecret)
		srv, err := serveLoopback(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits[i].Add(1)
			floor.ServeHTTP(w, r)
		}))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.stop()
		urls = append(urls, srv.URL+"/webhook")
	}
	res, err := runLoad(context.Background(), loadConfig{
		Name: "target", URL: strings.Join(urls, ","), Secret: testSecret, Event: "push",
		Concurrency: 4, Duration: time.Minute, MaxRequests: 100, Size: 2048, Timeout: 10 * time.Second, RunID: 9,
		Rate: 10_000,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Delivered != 100 || res.Errors != 0 {
		t.Fatalf("delivered %d, errors %d; want 100, 0", res.Delivered, res.Errors)
	}
	if a, b := hits[0].Load(), hits[1].Load(); a != 50 || b != 50 {
		t.Errorf("requests per server = %d, %d; want 50 each", a, b)
	}
}

// TestWatch samples this process and a file until the context ends.
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	if err := os.WriteFile(db, make([]byte, 3000), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // one reading at start, one at the end
	var progress bytes.Buffer
	rep, err := watch(ctx, watchConfig{PID: os.Getpid(), Files: []string{db, db + "-wal"}, Every: time.Hour}, time.Now(), &progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Samples) != 2 || rep.RSS == nil || rep.Files == nil {
		t.Fatalf("report = %+v, want two samples of memory and files", rep)
	}
	if rep.RSS.Start <= 0 || rep.RSS.Peak < rep.RSS.Start || rep.RSS.Peak < rep.RSS.End {
		t.Errorf("rss span = %+v", *rep.RSS)
	}
	if *rep.Files != (span{Start: 3000, Peak: 3000, End: 3000}) {
		t.Errorf("files span = %+v, want 3000 bytes throughout (a missing WAL counts 0)", *rep.Files)
	}
	if got := strings.Count(progress.String(), "\n"); got != 2 {
		t.Errorf("progress has %d lines, want 2:\n%s", got, progress.String())
	}
}

func TestReadRSSOfMissingProcess(t *testing.T) {
	// PIDs are below 2^22 on Linux.
	if _, err := readRSS(1 << 30); err == nil || !strings.Contains(err.Error(), "watch process") {
		t.Errorf("error = %v, want a watch process error", err)
	}
}

// A watched file that is missing counts as 0 bytes (a WAL not yet made); one
// that cannot be looked at for another reason is an error, not a zero.
func TestFilesSize(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.db")
	if err := os.WriteFile(f, make([]byte, 10), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := filesSize([]string{f, filepath.Join(dir, "missing")}); err != nil || n != 10 {
		t.Fatalf("filesSize = %d, %v; want 10, nil", n, err)
	}
	// A path under a regular file: stat fails with ENOTDIR.
	if _, err := filesSize([]string{filepath.Join(f, "x")}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("filesSize under a file = %v, want a not-a-directory error", err)
	}
}
