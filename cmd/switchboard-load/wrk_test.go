package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/benchsubject"
)

func TestWriteWrkFiles(t *testing.T) {
	dir := t.TempDir()
	f, err := writeWrkFiles(dir, testSecret, "push", 8192, 0xabcdef01)
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) != 8192 {
		t.Errorf("body is %d bytes, want 8192", len(body))
	}
	// The precomputed signature is what the floor (and GitHub) checks.
	for _, tc := range []struct {
		name, secret string
		want         int
	}{
		{"the secret", testSecret, http.StatusAccepted},
		{"another secret", "not-the-secret", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			req.Header.Set("X-Hub-Signature-256", f.Signature)
			rec := httptest.NewRecorder()
			floorHandler(tc.secret).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("floor answered %d, want %d", rec.Code, tc.want)
			}
		})
	}
	script, err := os.ReadFile(f.Script)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`local body_path = "` + f.Body + `"`,
		`local signature = "` + f.Signature + `"`,
		`local event = "push"`,
		`local run = "abcdef01"`,
		`string.format("%s-%04x-4000-8000-%012x", run, tid, sent)`,
		`if status < 200 or status > 299 then`,
		`io.write(string.format(` + "\n" + `    'WRK_RESULT {"requests":%d,`,
	} {
		if !strings.Contains(string(script), want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	if _, err := writeWrkFiles(dir, testSecret, "push\n", 0, 1); err == nil {
		t.Error("an event with a newline was written into the Lua script")
	}
}

func TestParseWrkOutput(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    wrkResult
		wantErr string
	}{
		{
			name: "result line among wrk's own",
			out: "Running 10s test @ http://127.0.0.1:3201/webhook\n  2 threads and 32 connections\n" +
				`WRK_RESULT {"requests":1000,"sent":1010,"duration_us":2000000,"non2xx":10,"connect_errors":0,"read_errors":1,"write_errors":0,"timeouts":2,"p50_us":1500,"p90_us":2500,"p99_us":9000,"max_us":12000}` + "\n",
			want: wrkResult{Requests: 1000, Sent: 1010, DurationUS: 2000000, Non2xx: 10, ReadErrors: 1, Timeouts: 2,
				P50US: 1500, P90US: 2500, P99US: 9000, MaxUS: 12000, Delivered: 990, PerSecond: 495},
		},
		{name: "no result line", out: "Running 10s test\n", wantErr: "no result line"},
		{name: "malformed result", out: "WRK_RESULT {\"requests\":\n", wantErr: "wrk result"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseWrkOutput([]byte(tc.out))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestWrkResultCheck(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name string
		r    wrkResult
		want string // "" = fine
	}{
		{"all 2xx", wrkResult{Name: "floor", Requests: 10, Delivered: 10}, ""},
		{"stored more than answered (answers cut by the end)", wrkResult{Name: "s", Requests: 10, Delivered: 10, Stored: n(12)}, ""},
		{"non-2xx", wrkResult{Name: "s", Requests: 10, Non2xx: 1, Delivered: 9}, "1 answers outside 2xx"},
		{"timeouts", wrkResult{Name: "s", Requests: 10, Delivered: 10, Timeouts: 2}, "2 socket errors or timeouts"},
		{"nothing delivered", wrkResult{Name: "s"}, "no delivery answered 2xx"},
		{"stored fewer than answered", wrkResult{Name: "s", Requests: 10, Delivered: 10, Stored: n(9)}, "9 rows stored for 10 answers 2xx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.check()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("check: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("check = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestWrkTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	stored := int64(2100)
	for _, r := range []wrkResult{
		{Name: "floor", PerSecond: 40000, P50US: 700, P99US: 5700, PeakRSS: 14 << 20, Requests: 400000, Delivered: 400000},
		{Name: "switchboard", PerSecond: 10000, P50US: 3000, P99US: 15000, PeakRSS: 40 << 20, Requests: 2000, Delivered: 2000, Stored: &stored},
	} {
		if err := appendWrkRow(path, r); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := readWrkRows(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	printWrkTable(&out, rows)
	for _, want := range []string{
		"| floor | 40000 | 0.70 | 5.70 | 14.0 | 1.00 | 400000 of 400000 | 0 | - |",
		"| switchboard | 10000 | 3.00 | 15.00 | 40.0 | 0.25 | 2000 of 2000 | 0 | 2100 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// TestWrkDrivesSubjects runs the generated script in the real wrk, when it
// is installed (the benchmark scripts install it; CI need not have it),
// against a server that records every delivery ID, and against the SQLite
// probe, whose rows are then counted.
func TestWrkDrivesSubjects(t *testing.T) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk is not installed")
	}
	cfg := wrkConfig{Bin: bin, Secret: testSecret, Event: "push", Size: 8192, Connections: 4, Threads: 2,
		Duration: time.Second, Timeout: 5 * time.Second, PID: os.Getpid()}

	t.Run("unique delivery IDs, all 2xx", func(t *testing.T) {
		var mu sync.Mutex
		seen := map[string]int{}
		floor := floorHandler(testSecret)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[r.Header.Get("X-GitHub-Delivery")]++
			mu.Unlock()
			floor.ServeHTTP(w, r)
		}))
		defer srv.Close()
		c := cfg
		c.Name, c.URL = "floor", srv.URL+"/webhook"
		res, err := runWrk(context.Background(), c, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := res.check(); err != nil {
			t.Error(err)
		}
		if res.PeakRSS <= 0 || res.PayloadSize != 8192 {
			t.Errorf("peak RSS %d, payload %d bytes", res.PeakRSS, res.PayloadSize)
		}
		mu.Lock()
		defer mu.Unlock()
		id := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4000-8000-[0-9a-f]{12}$`)
		var total int64
		for k, n := range seen {
			total += int64(n)
			if n != 1 || !id.MatchString(k) {
				t.Errorf("delivery ID %q seen %d times", k, n)
			}
		}
		// wrk does not count the answers still on the way when it stops.
		if total < res.Requests || res.Requests == 0 {
			t.Errorf("server saw %d requests, wrk counted %d answers", total, res.Requests)
		}
	})

	t.Run("non-2xx counted", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusConflict)
		}))
		defer srv.Close()
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotModified) // wrk's own count misses 3xx
		}))
		defer redirect.Close()
		for _, u := range []string{srv.URL, redirect.URL} {
			c := cfg
			c.Name, c.URL = "refusing", u+"/webhook"
			res, err := runWrk(context.Background(), c, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests == 0 || res.Non2xx != res.Requests || res.Delivered != 0 {
				t.Errorf("%s: %d answered, %d non-2xx, %d delivered", u, res.Requests, res.Non2xx, res.Delivered)
			}
			if res.check() == nil {
				t.Errorf("%s: check passed with no 2xx", u)
			}
		}
	})

	t.Run("sqlite probe stores every delivery", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "probe.db")
		p, err := benchsubject.OpenProbe(context.Background(), db, testSecret)
		if err != nil {
			t.Fatal(err)
		}
		p.Start()
		srv := httptest.NewServer(p)
		c := cfg
		c.Name, c.URL, c.CountDB = "sqlite-probe", srv.URL+"/webhook", db
		res, err := runWrk(context.Background(), c, io.Discard)
		srv.Close()
		if cerr := p.Close(); cerr != nil {
			t.Error(cerr)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := res.check(); err != nil {
			t.Error(err)
		}
		if res.Stored == nil || *res.Stored < res.Delivered || *res.Stored > res.Sent {
			t.Errorf("stored %v for %d delivered of %d sent", res.Stored, res.Delivered, res.Sent)
		}
	})
}
