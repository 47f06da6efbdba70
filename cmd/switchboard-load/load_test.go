package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

const testSecret = "load-test-secret"

func TestPayloadTemplate(t *testing.T) {
	for _, size := range []int{0, 2048, 8192, 65536} {
		tmpl, err := newPayloadTemplate(size)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if size >= 2048 && len(tmpl.body) != size {
			t.Errorf("size %d: payload is %d bytes", size, len(tmpl.body))
		}
		sha := strings.Repeat("ab", 20)
		b := tmpl.render(sha)
		if len(b) != len(tmpl.body) || bytes.Contains(b, []byte(placeholder)) {
			t.Errorf("size %d: render left a placeholder or changed the size", size)
		}
		var push struct {
			Ref     string `json:"ref"`
			After   string `json:"after"`
			Commits []struct {
				ID string `json:"id"`
			} `json:"commits"`
			Repository struct {
				FullName string `json:"full_name"`
			} `json:"repository"`
		}
		if err := json.Unmarshal(b, &push); err != nil {
			t.Fatalf("size %d: payload is not JSON: %v", size, err)
		}
		if push.Ref != "refs/heads/main" || push.After != sha || len(push.Commits) != 2 || push.Commits[1].ID != sha || push.Repository.FullName != "acme/widgets" {
			t.Errorf("size %d: not the push wanted: %+v", size, push)
		}
		if other := tmpl.render(strings.Repeat("cd", 20)); bytes.Equal(other, b) {
			t.Errorf("size %d: two SHAs render the same body", size)
		}
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := percentiles(d)
	want := latencies{P50: 50, P90: 90, P99: 99, Max: 100}
	if got != want {
		t.Errorf("percentiles = %+v, want %+v", got, want)
	}
	if got := percentiles(nil); got != (latencies{}) {
		t.Errorf("percentiles(nil) = %+v, want zero", got)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  string
		want string // wanted error substring; "" = accepted
	}{
		{name: "floor only", args: []string{"-floor"}},
		{name: "floor and inproc", args: []string{"-floor", "-inproc", "sqlite", "-work"}},
		{name: "loopback url", args: []string{"-url", "http://127.0.0.1:3000/webhook", "-secret", "s"}},
		{name: "localhost url", args: []string{"-url", "http://localhost:3000/webhook", "-secret", "s"}},
		{name: "ipv6 loopback url", args: []string{"-url", "http://[::1]:3000/webhook", "-secret", "s"}},
		{name: "secret from the environment", args: []string{"-url", "http://127.0.0.1:3000/webhook"}, env: "s"},
		{name: "remote url refused", args: []string{"-url", "http://example.com/webhook", "-secret", "s"}, want: "not loopback"},
		{name: "private address refused", args: []string{"-url", "http://10.0.0.1/webhook", "-secret", "s"}, want: "not loopback"},
		{name: "remote url allowed", args: []string{"-url", "https://example.com/webhook", "-secret", "s", "-allow-remote"}},
		{name: "url needs a secret", args: []string{"-url", "http://127.0.0.1:3000/webhook"}, want: "needs -secret"},
		{name: "not http", args: []string{"-url", "ftp://127.0.0.1/webhook", "-secret", "s"}, want: "http"},
		{name: "url and inproc", args: []string{"-url", "http://127.0.0.1/", "-inproc", "sqlite", "-secret", "s"}, want: "not both"},
		{name: "nothing to drive", args: nil, want: "nothing to drive"},
		{name: "work without inproc", args: []string{"-floor", "-work"}, want: "-work needs -inproc"},
		{name: "zero senders", args: []string{"-floor", "-c", "0"}, want: "-c"},
		{name: "zero duration", args: []string{"-floor", "-d", "0s"}, want: "-d"},
		{name: "zero requests", args: []string{"-floor", "-n", "0"}, want: "-n"},
		{name: "huge payload", args: []string{"-floor", "-size", "26214401"}, want: "-size"},
		{name: "stray argument", args: []string{"-floor", "extra"}, want: "unexpected"},
		{name: "two replicas", args: []string{"-url", "http://127.0.0.1:3000/webhook,http://127.0.0.1:3001/webhook", "-secret", "s"}},
		{name: "one of two remote", args: []string{"-url", "http://127.0.0.1:3000/webhook,http://example.com/webhook", "-secret", "s"}, want: "not loopback"},
		{name: "soak", args: []string{"-url", "http://127.0.0.1:3000/webhook", "-secret", "s", "-rate", "200", "-watch-pid", "1", "-watch-files", "a.db,a.db-wal"}},
		{name: "negative rate", args: []string{"-floor", "-rate", "-1"}, want: "-rate"},
		{name: "watch without target", args: []string{"-floor", "-watch-pid", "1"}, want: "need a target"},
		{name: "zero watch interval", args: []string{"-floor", "-watch-every", "0s"}, want: "-watch-every"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(secretEnv, tt.env)
			o, err := parseFlags(tt.args, io.Discard)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			case tt.want == "" && o.secret == "":
				t.Error("no secret chosen")
			}
			if err != nil && strings.Contains(err.Error(), "-secret\", \"s") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

// TestFloorHandler checks the floor answers as intake does on the checks it
// shares with it: 202 with a valid SHA-256 HMAC, 401 otherwise, 405 for GET.
func TestFloorHandler(t *testing.T) {
	srv, err := serveLoopback(floorHandler(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.stop(); err != nil {
			t.Error(err)
		}
	})
	body := []byte(`{"zen":"Design for failure."}`)
	mac := func(secret string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	m1 := hmac.New(sha1.New, []byte(testSecret))
	m1.Write(body)
	sha1Sig := "sha1=" + hex.EncodeToString(m1.Sum(nil))

	tests := []struct {
		name, method, header, value string
		status                      int
	}{
		{"valid", "POST", "X-Hub-Signature-256", mac(testSecret), 202},
		{"wrong secret", "POST", "X-Hub-Signature-256", mac("other"), 401},
		{"sha1 only", "POST", "X-Hub-Signature", sha1Sig, 401},
		{"no prefix", "POST", "X-Hub-Signature-256", strings.TrimPrefix(mac(testSecret), "sha256="), 401},
		{"GET", "GET", "X-Hub-Signature-256", mac(testSecret), 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+"/webhook", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set(tt.header, tt.value)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

// TestRunLoadBoundedByCount drives the floor with a request bound far below
// what the duration allows, and checks every request is counted once.
func TestRunLoadBoundedByCount(t *testing.T) {
	srv, err := serveLoopback(floorHandler(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	res, err := runLoad(context.Background(), loadConfig{
		Name: "floor", URL: srv.URL + "/webhook", Secret: testSecret, Event: "push",
		Concurrency: 4, Duration: time.Minute, MaxRequests: 200, Size: 4096, Timeout: 10 * time.Second, RunID: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 200 || res.Delivered != 200 || res.Status["202"] != 200 || res.Errors != 0 || len(res.Status) != 1 {
		t.Errorf("got %d requests, %d delivered, status %v, %d errors; want 200 answered 202", res.Requests, res.Delivered, res.Status, res.Errors)
	}
	if res.PayloadSize != 4096 || res.PerSecond <= 0 || res.Latency.Max < res.Latency.P99 || res.Latency.P99 < res.Latency.P50 {
		t.Errorf("implausible result: %+v", res)
	}
}

// TestRunLoadWrongSecret checks a target that refuses the signature shows
// as 401s, not as deliveries.
func TestRunLoadWrongSecret(t *testing.T) {
	srv, err := serveLoopback(floorHandler("the-server-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	res, err := runLoad(context.Background(), loadConfig{
		Name: "floor", URL: srv.URL + "/webhook", Secret: testSecret, Event: "push",
		Concurrency: 2, Duration: time.Minute, MaxRequests: 20, Size: 1024, Timeout: 10 * time.Second, RunID: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Delivered != 0 || res.Status["401"] != 20 || res.PerSecond != 0 {
		t.Errorf("got %d delivered, status %v; want 20 answered 401", res.Delivered, res.Status)
	}
}

// TestInprocSQLite drives the real intake over the real store on SQLite and
// checks every delivery is stored, a second send of the same IDs is answered
// duplicate, and with -work every process_delivery job runs.
func TestInprocSQLite(t *testing.T) {
	logger, _ := logtest.NewNullLogger()
	ctx := context.Background()
	target, err := startInproc(ctx, "sqlite", testSecret, true, logrus.NewEntry(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := target.stop(); err != nil {
			t.Error(err)
		}
	}()
	cfg := loadConfig{
		Name: "target", URL: target.URL, Secret: testSecret, Event: "push",
		Concurrency: 8, Duration: time.Minute, MaxRequests: 100, Size: 8192, Timeout: 10 * time.Second, RunID: 9,
	}
	res, err := runLoad(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Delivered != 100 || res.Status["202"] != 100 || res.Errors != 0 {
		t.Fatalf("got %d delivered, status %v, %d errors (%v); want 100 answered 202", res.Delivered, res.Status, res.Errors, res.ErrorSample)
	}
	for seq := int64(1); seq <= 100; seq++ {
		ok, err := target.store.HasDelivery(ctx, deliveryID(cfg.RunID, seq))
		if err != nil || !ok {
			t.Fatalf("delivery %d stored: %v, %v", seq, ok, err)
		}
	}

	cfg.MaxRequests = 10
	res, err = runLoad(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status["200"] != 10 || len(res.Status) != 1 {
		t.Errorf("resent deliveries answered %v, want 10 duplicates (200)", res.Status)
	}

	// Jobs run after the answers: poll with a deadline.
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for target.worked.Load() < 100 {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%d of 100 process_delivery jobs ran before the deadline", target.worked.Load())
		}
	}
	if n := target.worked.Load(); n != 100 {
		t.Errorf("%d process_delivery jobs ran, want 100 (duplicates queue nothing)", n)
	}
}

// TestRunCommand runs the command end to end with -json on the floor and
// the in-process target.
func TestRunCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-floor", "-inproc", "sqlite", "-c", "4", "-n", "50", "-d", "1m", "-size", "2048", "-json"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if rep.Floor == nil || rep.Target == nil || rep.Ratio == nil {
		t.Fatalf("report lacks floor, target or ratio: %s", out.String())
	}
	if rep.Floor.Delivered != 50 || rep.Target.Delivered != 50 || rep.Target.PayloadSize != 2048 {
		t.Errorf("floor delivered %d, target %d (%d-byte payloads); want 50 each of 2048 bytes", rep.Floor.Delivered, rep.Target.Delivered, rep.Target.PayloadSize)
	}
	if want := rep.Target.PerSecond / rep.Floor.PerSecond; *rep.Ratio != want {
		t.Errorf("ratio %v, want %v", *rep.Ratio, want)
	}
}
