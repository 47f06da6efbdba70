package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Flood settings: the attack, 40 concurrent bodies of 20 MB.
const (
	floodBodies   = 40
	floodBodySize = 20_000_000
	// floodRSSLimit is the bound on the server's peak resident memory
	// (VmHWM) through a flood and the processing of what it stored.
	floodRSSLimit = 150 << 20
)

// floodResult is what one flood saw.
type floodResult struct {
	large    map[int]int // status -> count of the large requests
	small    int         // small deliveries sent during the flood, all 202
	probes   int         // /healthz, /readyz and /metrics answers during it
	took     time.Duration
	hwm      int64 // VmHWM after the flood and its processing
	accepted int   // large ones stored
}

// TestFloodOfLargeBodies runs the built binary on the example configuration
// and sends it 40 concurrent POSTs of 20 MB, with wrong signatures and then
// (a fresh process) with right ones, while a second client sends small
// valid deliveries and probes /healthz, /readyz and /metrics. Every small
// delivery gets 202 and every probe 200; each large one gets 401 (wrong
// signature), 202 (stored) or 503 with Retry-After (no room in
// server.max_inflight_body_bytes), never anything else; the server's peak
// resident memory (VmHWM), through the flood and the processing of every
// stored delivery, stays under 150 MiB. docs/BENCHMARKS.md records the
// figures.
func TestFloodOfLargeBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1.6 GB to the built binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	example, err := os.ReadFile(filepath.Join("..", "examples", "switchboard.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// The example as it is, but on a free loopback port.
	cfg := strings.Replace(string(example), `addr: ":3000"`, `addr: "127.0.0.1:0"`, 1)
	if cfg == string(example) {
		t.Fatal(`examples/switchboard.yml no longer has addr: ":3000"`)
	}

	// One body for all: a push to main, padded to 20 MB.
	head := `{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","repository":{"full_name":"o/r","name":"r","owner":{"login":"o"}},"sender":{"login":"flood"},"pad":"`
	body := make([]byte, 0, floodBodySize)
	body = append(body, head...)
	body = append(body, bytes.Repeat([]byte("x"), floodBodySize-len(head)-2)...)
	body = append(body, `"}`...)

	for _, tc := range []struct {
		name   string
		signed bool
	}{{"wrong signatures", false}, {"right signatures", true}} {
		t.Run(tc.name, func(t *testing.T) {
			sub := t.TempDir()
			cfgPath := filepath.Join(sub, "switchboard.yml")
			c := strings.Replace(cfg, "dsn: switchboard.db", "dsn: "+filepath.Join(sub, "switchboard.db"), 1)
			if err := os.WriteFile(cfgPath, []byte(c), 0o600); err != nil {
				t.Fatal(err)
			}
			p := startBinary(t, bin, cfgPath, []string{"GITHUB_WEBHOOK_SECRET=" + secret})
			sig := sign("not-the-secret", body)
			if tc.signed {
				sig = sign(secret, body)
			}
			res := flood(t, p, body, sig)
			t.Logf("%s: %d large bodies of %d bytes in %s: status %v (%d stored); %d small deliveries, all 202; %d probes; peak RSS (VmHWM) %.1f MiB",
				tc.name, floodBodies, len(body), res.took.Round(time.Millisecond), res.large, res.accepted, res.small, res.probes, float64(res.hwm)/(1<<20))
			for status, n := range res.large {
				ok := status == http.StatusServiceUnavailable || (status == http.StatusUnauthorized && !tc.signed) || (status == http.StatusAccepted && tc.signed)
				if !ok {
					t.Errorf("%d large requests answered %d", n, status)
				}
			}
			if res.small == 0 || res.probes == 0 {
				t.Errorf("%d small deliveries and %d probes during the flood, want some of each", res.small, res.probes)
			}
			if res.hwm >= floodRSSLimit {
				t.Errorf("peak RSS (VmHWM) %.1f MiB, want under %d MiB", float64(res.hwm)/(1<<20), floodRSSLimit>>20)
			}
			stopGracefully(t, p)
		})
	}
}

// flood sends the large bodies with signature sig, all at once, and small
// deliveries and probes beside them until the large ones are answered; then
// waits until every stored delivery is processed and reads VmHWM.
func flood(t *testing.T, p *process, body []byte, sig string) floodResult {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: floodBodies}}
	defer client.CloseIdleConnections()
	res := floodResult{large: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	done := make(chan struct{})
	start := time.Now()
	for i := range floodBodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, p.url+"/webhook", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "push")
			req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("flood-%02d", i))
			req.Header.Set("X-Hub-Signature-256", sig)
			resp, err := client.Do(req)
			if err != nil {
				t.Errorf("large request %d: %v", i, err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
				t.Errorf("large request %d: 503 without Retry-After", i)
			}
			mu.Lock()
			res.large[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	small := make(chan int)
	go func() {
		// The second client: small valid deliveries, one after another,
		// and the three probes, until the flood is answered.
		n, probes := 0, 0
		defer func() { small <- n; small <- probes }()
		for {
			select {
			case <-done:
				return
			default:
			}
			d := pushTo(t, "main")
			a := sendWith(t, client, p.url+"/webhook", fmt.Sprintf("small-%04d", n), d)
			if a != http.StatusAccepted {
				t.Errorf("small delivery %d during the flood: %d, want 202", n, a)
			}
			n++
			for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
				resp, err := client.Get(p.url + path)
				if err != nil {
					t.Errorf("%s during the flood: %v", path, err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s during the flood: %d, want 200", path, resp.StatusCode)
				}
				probes++
			}
		}
	}()
	wg.Wait()
	res.took = time.Since(start)
	close(done)
	res.small, res.probes = <-small, <-small
	res.accepted = res.large[http.StatusAccepted]

	// Every stored delivery, large and small, is processed before the peak
	// is read: decoding the large ones is part of what must stay bounded.
	want := float64(res.accepted + res.small)
	eventually(t, 3*time.Minute, "every stored delivery processed", func() bool {
		return metric(t, p.url, "switchboard_deliveries_processed_total", map[string]string{"event": "push", "status": "processed"}) >= want
	})
	res.hwm = vmHWM(t, p.cmd.Process.Pid)
	return res
}

// sendWith sends one small signed delivery with client and returns the
// status.
func sendWith(t *testing.T, client *http.Client, url, id string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", sign(secret, body))
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("small delivery %s: %v", id, err)
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// vmHWM reads the peak resident set size of process pid from /proc (Linux).
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
