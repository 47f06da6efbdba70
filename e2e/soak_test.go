package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", to count the store's rows

	"github.com/switchboard-dev/switchboard/maintenance"
)

// Soak settings: SWITCHBOARD_SOAK_DURATION (default 45s; docs/BENCHMARKS.md
// records a 10-minute run), SWITCHBOARD_SOAK_RATE (deliveries/s, default
// 100) and SWITCHBOARD_SOAK_REPORT (a file for the load tool's JSON report,
// with every memory and store sample).
const (
	soakDurationEnv = "SWITCHBOARD_SOAK_DURATION"
	soakRateEnv     = "SWITCHBOARD_SOAK_RATE"
	soakReportEnv   = "SWITCHBOARD_SOAK_REPORT"
)

const soakConfig = `
server: {addr: "127.0.0.1:0", shutdown_timeout: 10s}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: sqlite, dsn: "${DB}", retention: "${RETENTION}"}
rules:
  - name: soak
    on: [push]
    if: {branches: [main]}
    do:
      - log: {message: "push {{ .ShortSHA }} to {{ .Repository.FullName }}"}
      - http: {url: "${SINK}", body: '{"sha": "{{ .SHA }}"}'}
`

// loadReport is the part of switchboard-load's -json output the soak reads.
type loadReport struct {
	Target struct {
		Requests  int64            `json:"requests"`
		Delivered int64            `json:"delivered"`
		PerSecond float64          `json:"deliveries_per_s"`
		Status    map[string]int64 `json:"status"`
		Errors    int64            `json:"errors"`
		CutShort  int64            `json:"cut_short"`
		Latency   struct {
			P50 float64 `json:"p50_ms"`
			P99 float64 `json:"p99_ms"`
		} `json:"latency"`
	} `json:"target"`
	Watch struct {
		Samples []struct {
			At        float64 `json:"at_s"`
			RSSBytes  int64   `json:"rss_bytes"`
			FileBytes int64   `json:"file_bytes"`
		} `json:"samples"`
		RSS   struct{ Start, Peak, End int64 } `json:"rss_bytes"`
		Files struct{ Start, Peak, End int64 } `json:"file_bytes"`
	} `json:"watch"`
}

// TestSoak runs the built server under a steady load from the load tool,
// with a short store.retention, and checks that every delivery is accepted
// and its actions succeed, that memory stays flat (the last third's peak is
// near the rest's) and that the store stays bounded by the retention: rows
// older than it are deleted while deliveries flow.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary under load")
	}
	duration := 45 * time.Second
	if v := os.Getenv(soakDurationEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s: %v", soakDurationEnv, err)
		}
		duration = d
	}
	rate := 100.0
	if v := os.Getenv(soakRateEnv); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			t.Fatalf("%s=%q: want a positive number", soakRateEnv, v)
		}
		rate = r
	}
	// Short enough that retention runs many times during the soak.
	retention := max(duration/8, 5*time.Second).Truncate(time.Second)

	dir := t.TempDir()
	bin := buildBinary(t, dir)
	load := buildCommand(t, dir, "switchboard-load")
	var sunk atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sunk.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer sink.Close()

	db := filepath.Join(dir, "soak.db")
	cfgPath := filepath.Join(dir, "switchboard.yml")
	if err := os.WriteFile(cfgPath, []byte(soakConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"GITHUB_WEBHOOK_SECRET=" + secret, "DB=" + db, "RETENTION=" + retention.String(), "SINK=" + sink.URL}
	srv := startBinary(t, bin, cfgPath, env)

	cmd := exec.Command(load, "-url", srv.url+"/webhook", "-c", "16", "-rate", fmt.Sprint(rate),
		"-d", duration.String(), "-n", "100000000", "-size", "8192",
		"-watch-pid", strconv.Itoa(srv.cmd.Process.Pid), "-watch-files", db+","+db+"-wal",
		"-watch-every", max(duration/30, time.Second).String(), "-json")
	cmd.Env = append(os.Environ(), "SWITCHBOARD_LOAD_SECRET="+secret)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("switchboard-load: %v\n%s\nserver:\n%s", err, stderr.String(), srv.logs)
	}
	if path := os.Getenv(soakReportEnv); path != "" {
		if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
			t.Errorf("%s: %v", soakReportEnv, err)
		}
	}
	var rep loadReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("load report: %v\n%s", err, stdout.String())
	}
	tg := rep.Target
	t.Logf("%d deliveries at %.0f/s, p50 %.2f ms, p99 %.2f ms; rss MiB start %.1f peak %.1f end %.1f; store MiB start %.1f peak %.1f end %.1f",
		tg.Delivered, tg.PerSecond, tg.Latency.P50, tg.Latency.P99,
		mib(rep.Watch.RSS.Start), mib(rep.Watch.RSS.Peak), mib(rep.Watch.RSS.End),
		mib(rep.Watch.Files.Start), mib(rep.Watch.Files.Peak), mib(rep.Watch.Files.End))
	if tg.Errors != 0 || tg.Delivered != tg.Requests || tg.Status["202"] != tg.Requests || tg.Requests == 0 {
		t.Fatalf("not every delivery was queued: %d requests, %d delivered, status %v, %d errors", tg.Requests, tg.Delivered, tg.Status, tg.Errors)
	}

	// The store is bounded by the retention while deliveries flow: what is
	// kept is at most what arrived within the retention plus one interval
	// of the retention job (River's cleaner of finished jobs runs every 30s)
	// and some slack, not everything since the start.
	deliveries, jobs := countRows(t, db)
	window := retention + maintenance.RetentionEvery(retention) + 5*time.Second
	if limit := int64(rate * window.Seconds()); deliveries > limit {
		t.Errorf("%d deliveries kept at the end, want at most %d (retention %s)", deliveries, limit, retention)
	}
	if limit := int64(3 * rate * (retention + 30*time.Second + 5*time.Second).Seconds()); jobs > limit {
		t.Errorf("%d queue jobs kept at the end, want at most %d (3 a delivery)", jobs, limit)
	}
	if duration >= 2*time.Minute {
		// Long enough for the store files to reach their plateau in the
		// first half (a shorter run ends before River's cleaner has run
		// often): they no longer grow in the second.
		if grown := float64(rep.Watch.Files.End) / float64(peakBefore(rep, duration/2, false)); grown > 1.25 {
			t.Errorf("store files grew %.2fx in the second half of the soak", grown)
		}
	}
	// Memory is flat: the last third's peak is not far above the peak
	// before it (a leak grows with the deliveries, which keep coming).
	early, late := peakBefore(rep, 2*duration/3, true), peakAfter(rep, 2*duration/3, true)
	if float64(late) > 1.25*float64(early)+16<<20 {
		t.Errorf("resident memory grew: peak %.1f MiB in the last third, %.1f MiB before", mib(late), mib(early))
	}

	// Every stored delivery is processed and both its actions succeed. A
	// request cut short by the end of the run may have been stored too.
	attempts := func(kind, outcome string) float64 {
		return metric(t, srv.url, "switchboard_action_attempts_total", map[string]string{"kind": kind, "outcome": outcome})
	}
	processed := func() float64 {
		return metric(t, srv.url, "switchboard_deliveries_processed_total", map[string]string{"status": "processed"})
	}
	done := func() bool {
		p := processed()
		return p >= float64(tg.Delivered) && attempts("log", "succeeded") == p && attempts("http", "succeeded") == p && float64(sunk.Load()) == p
	}
	deadline := time.Now().Add(2 * time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("not every action succeeded within 2m of the end: %d delivered (%d cut short); processed %v, missing %v; log %v succeeded, %v retrying, %v failed; http %v succeeded, %v retrying, %v failed; sink %d\n%s",
				tg.Delivered, tg.CutShort, processed(),
				metric(t, srv.url, "switchboard_deliveries_processed_total", map[string]string{"status": "missing"}),
				attempts("log", "succeeded"), attempts("log", "retrying"), attempts("log", "failed"),
				attempts("http", "succeeded"), attempts("http", "retrying"), attempts("http", "failed"),
				sunk.Load(), srv.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if p := processed(); p > float64(tg.Delivered+tg.CutShort) {
		t.Errorf("%v deliveries processed, more than the %d sent", p, tg.Delivered+tg.CutShort)
	}
	stopGracefully(t, srv)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// peakBefore is the largest RSS (rss) or file size sampled before at.
func peakBefore(rep loadReport, at time.Duration, rss bool) int64 {
	return peak(rep, func(s float64) bool { return s < at.Seconds() }, rss)
}

// peakAfter is the largest RSS (rss) or file size sampled at or after at.
func peakAfter(rep loadReport, at time.Duration, rss bool) int64 {
	return peak(rep, func(s float64) bool { return s >= at.Seconds() }, rss)
}

func peak(rep loadReport, in func(float64) bool, rss bool) int64 {
	var p int64
	for _, s := range rep.Watch.Samples {
		if !in(s.At) {
			continue
		}
		v := s.FileBytes
		if rss {
			v = s.RSSBytes
		}
		p = max(p, v)
	}
	return p
}

// countRows counts the deliveries and River jobs in the SQLite store at
// path, read beside the running server (WAL readers do not block it).
func countRows(t *testing.T, path string) (deliveries, jobs int64) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM deliveries").Scan(&deliveries); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM river_job").Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	return deliveries, jobs
}
