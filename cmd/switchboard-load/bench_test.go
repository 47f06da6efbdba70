package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/pipeline"
	"github.com/switchboard-dev/switchboard/store"
)

// waitLimit bounds every wait for something asynchronous; it is a failure
// deadline, not a measured duration.
const waitLimit = 20 * time.Second

func TestParseBenchFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  string
		want string // wanted error substring; "" = accepted
	}{
		{"wrk and table", []string{"-wrk", "http://127.0.0.1:3201/webhook", "-name", "floor", "-table", "rows"}, "s", "not both"},
		{"wrk with a target", []string{"-wrk", "http://127.0.0.1:3201/webhook", "-name", "floor", "-url", "http://127.0.0.1:1/webhook"}, "s", "run on their own"},
		{"wrk needs a secret", []string{"-wrk", "http://127.0.0.1:3201/webhook", "-name", "floor"}, "", "-wrk needs -secret"},
		{"wrk", []string{"-wrk", "http://127.0.0.1:3201/webhook", "-name", "floor"}, "s", ""},
		{"wrk needs a name", []string{"-wrk", "http://127.0.0.1:3201/webhook"}, "s", "-wrk needs -name"},
		{"wrk remote", []string{"-wrk", "http://example.com/webhook", "-name", "x"}, "s", "not loopback"},
		{"wrk fewer connections than threads", []string{"-wrk", "http://127.0.0.1:1/", "-name", "x", "-c", "1"}, "s", "at least -wrk-threads"},
		{"table", []string{"-table", "rows.jsonl"}, "", ""},
		{"backlog", []string{"-url", "http://127.0.0.1:1/webhook", "-backlog-db", "x.db"}, "s", ""},
		{"backlog needs a url", []string{"-inproc", "sqlite", "-backlog-db", "x.db"}, "", "need -url"},
		{"latency with two urls", []string{"-url", "http://127.0.0.1:1/w,http://127.0.0.1:2/w", "-latency-jenkins", "127.0.0.1:3"}, "s", "one -url"},
		{"negative wait", []string{"-url", "http://127.0.0.1:1/webhook", "-latency-wait", "-1s"}, "s", "not negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(secretEnv, tc.env)
			_, err := parseFlags(tc.args, io.Discard)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("parseFlags: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("parseFlags = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestBacklogSamples reads River's jobs from a real store's SQLite file
// while the store has it open.
func TestBacklogSamples(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	st := startStore(t, path)
	const n = 5
	for i := range n {
		if _, err := st.Enqueue(ctx, store.Delivery{ID: fmt.Sprintf("d-%d", i), Event: "push", Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	db, err := openBacklogDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	loadDone := make(chan struct{})
	close(loadDone)
	var progress bytes.Buffer
	rep, err := watchBacklog(ctx, db, time.Now(), time.Second, 0, loadDone, &progress)
	if err != nil {
		t.Fatal(err)
	}
	want := jobCounts{Queued: n}
	if got := rep.AtEnd.Kinds["process_delivery"]; got != want || rep.AtEnd.backlog() != n {
		t.Errorf("at end %+v (backlog %d), want %+v", got, rep.AtEnd.backlog(), want)
	}
	if rep.EmptyAfter >= 0 {
		t.Errorf("backlog of %d reported empty after %.2fs", n, rep.EmptyAfter)
	}
	if !strings.Contains(progress.String(), "process_delivery q=5 r=0 done=0") {
		t.Errorf("progress: %q", progress.String())
	}

	// Jobs finished (as a worker would leave them): the drain sees it.
	w, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Exec(`UPDATE river_job SET state = 'completed', finalized_at = ? WHERE kind = 'process_delivery'`, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	rep, err = watchBacklog(ctx, db, time.Now(), time.Second, waitLimit, loadDone, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Last.Kinds["process_delivery"]; got != (jobCounts{Completed: n}) || rep.EmptyAfter < 0 {
		t.Errorf("after completion %+v, empty after %.2fs", got, rep.EmptyAfter)
	}
}

func TestTriggerLatency(t *testing.T) {
	clock := newTriggerClock()
	fj, err := startFakeJenkins("127.0.0.1:0", "the-token", clock)
	if err != nil {
		t.Fatal(err)
	}
	defer fj.stop()
	trigger := func(id, token string) int {
		t.Helper()
		form := url.Values{latencyParam: {id}, "GIT_SHA": {"abc"}}
		req, err := http.NewRequest(http.MethodPost, fj.http.URL+"/job/acme/job/widgets/buildWithParameters", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(jenkinsUser, token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	sent := time.Now()
	for _, id := range []string{"a", "b", "c"} {
		clock.onSend(id, sent)
	}
	if got := trigger("a", "the-token"); got != http.StatusCreated {
		t.Fatalf("trigger answered %d", got)
	}
	if got := trigger("b", "wrong"); got != http.StatusUnauthorized {
		t.Fatalf("trigger with a wrong token answered %d", got)
	}
	trigger("a", "the-token") // a second build for one delivery
	trigger("b", "the-token")

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	clock.wait(ctx, []string{"a", "b"})
	if ctx.Err() != nil {
		t.Fatal("triggers a and b were not recorded")
	}
	rep := clock.report([]string{"a", "b", "c"})
	if rep.Delivered != 3 || rep.Triggered != 2 || rep.Missing != 1 || rep.Extra != 1 {
		t.Errorf("report %+v, want 3 delivered, 2 triggered, 1 missing, 1 extra", rep)
	}
	if rep.Latency.P50 <= 0 || rep.Latency.Max < rep.Latency.P50 {
		t.Errorf("latencies %+v", rep.Latency)
	}
	if got := len(fj.fake.Triggers()); got != 3 {
		t.Errorf("the fake Jenkins recorded %d triggers, want 3", got)
	}

	for _, tc := range []struct{ name, addr, token, want string }{
		{"no token", "127.0.0.1:0", "", "API token"},
		{"remote", "192.0.2.1:8080", "t", "not a loopback address"},
		{"no port", "127.0.0.1", "t", "missing port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := startFakeJenkins(tc.addr, tc.token, newTriggerClock()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("startFakeJenkins = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestReadStages splits deliveries' paths by the timestamps of a real
// store: deliveries and their process_delivery jobs queued by Enqueue,
// run_action jobs by InsertJobs, then the times set to known values as the
// workers would leave them.
func TestReadStages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	st := startStore(t, path)
	for _, id := range []string{"d-1", "d-2", "d-3"} {
		if _, err := st.Enqueue(ctx, store.Delivery{ID: id, Event: "push", Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	// d-3 has no action (no rule matched).
	if _, err := st.InsertJobs(ctx, []river.InsertManyParams{
		{Args: pipeline.RunActionArgs{Delivery: "d-1", Rule: "r"}},
		{Args: pipeline.RunActionArgs{Delivery: "d-2", Rule: "r"}},
	}); err != nil {
		t.Fatal(err)
	}
	w, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Per delivery (ms after base): received, pd queued, started, finished, ra queued, started, finished.
	base := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	at := func(ms int) string {
		return base.Add(time.Duration(ms) * time.Millisecond).Format("2006-01-02 15:04:05.000")
	}
	for id, ms := range map[string][7]int{
		"d-1": {0, 2, 30, 32, 31, 60, 65},
		"d-2": {1000, 1004, 1010, 1012, 1011, 1051, 1053},
		"d-3": {2000, 2001, 2003, 2004, 0, 0, 0},
	} {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE deliveries SET received_at = ? WHERE id = ?`, []any{at(ms[0]), id}},
			{`UPDATE river_job SET state = 'completed', created_at = ?, attempted_at = ?, finalized_at = ? WHERE kind = 'process_delivery' AND json_extract(args, '$.delivery') = ?`, []any{at(ms[1]), at(ms[2]), at(ms[3]), id}},
			{`UPDATE river_job SET state = 'completed', created_at = ?, attempted_at = ?, finalized_at = ? WHERE kind = 'run_action' AND json_extract(args, '$.delivery') = ?`, []any{at(ms[4]), at(ms[5]), at(ms[6]), id}},
		} {
			if _, err := w.Exec(q.sql, q.args...); err != nil {
				t.Fatalf("%s: %v", id, err)
			}
		}
	}
	// d-2 was not answered 2xx in this run: left out.
	got, err := readStages(ctx, path, []string{"d-1", "d-3"})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		count int
		p50   float64
	}{{2, 1}, {2, 2}, {1, 1}, {1, 29}, {1, 5}}
	if len(got) != len(want) {
		t.Fatalf("%d stages, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Name != stageNames[i] || got[i].Count != w.count || math.Abs(got[i].Latency.P50-w.p50) > 0.01 {
			t.Errorf("stage %d = %+v, want %q with %d deliveries, p50 %.0f ms", i, got[i], stageNames[i], w.count, w.p50)
		}
	}
	var out bytes.Buffer
	printStages(&out, got)
	if !strings.Contains(out.String(), "run_action queued -> started (queue wait)") {
		t.Errorf("printed: %s", out.String())
	}
}

func TestScrapeMetric(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "# HELP switchboard_delivery_to_action_seconds x\n"+
			"switchboard_delivery_to_action_seconds_bucket{le=\"0.005\"} 3\n"+
			"switchboard_delivery_to_action_seconds_count 4\n"+
			"switchboard_other_total 1\n")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	got, err := scrapeMetric(context.Background(), srv.URL+"/webhook?x=1", "switchboard_delivery_to_action_seconds")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`switchboard_delivery_to_action_seconds_bucket{le="0.005"} 3`, "switchboard_delivery_to_action_seconds_count 4"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines %q, want %q", got, want)
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	defer gone.Close()
	if _, err := scrapeMetric(context.Background(), gone.URL+"/webhook", "x"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("scrape of a 404 = %v, want an error naming it", err)
	}
}

// startStore opens and starts an insert-only store on the SQLite file at
// path, stopped and closed when the test ends.
func startStore(t *testing.T, path string) *store.Store {
	t.Helper()
	ctx := context.Background()
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	st, err := store.Open(ctx, store.Options{Driver: store.DriverSQLite, DSN: path, Logger: logrus.NewEntry(logger)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Stop(ctx) })
	return st
}
