package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/server"
)

const secret = "e2e-webhook-secret"

// running is one server.Run in this process.
type running struct {
	URL  string
	Logs *test.Hook
	stop context.CancelFunc
	done chan error
}

// startServer writes cfg to a file and runs the server on it until the test
// ends. env supplies ${VAR}s; GITHUB_WEBHOOK_SECRET is set to secret.
func startServer(t *testing.T, cfg string, env map[string]string) *running {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "switchboard.yml")
	cfg = strings.ReplaceAll(cfg, "$TMP", dir)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) {
		if k == "GITHUB_WEBHOOK_SECRET" {
			return secret, true
		}
		v, ok := env[k]
		return v, ok
	}
	logger, hook := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	r := &running{Logs: hook, stop: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- server.Run(ctx, server.Options{
			ConfigPath: path,
			LookupEnv:  lookup,
			Logger:     logrus.NewEntry(logger),
			Registry:   prometheus.NewRegistry(),
			OnListen:   func(a net.Addr) { addr <- a },
		})
	}()
	select {
	case a := <-addr:
		r.URL = "http://" + a.String()
	case err := <-r.done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start within 30s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("server stopped with %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("server did not stop within 60s")
		}
	})
	return r
}

// sign returns the X-Hub-Signature-256 value GitHub would send.
func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// delivery is one webhook request to send.
type delivery struct {
	event, id, contentType string
	body                   []byte
	signature              string // "" = sign with secret; "-" = none
	header                 map[string]string
	method                 string
}

type answer struct {
	status int
	body   string
	header http.Header
}

func send(t *testing.T, url string, d delivery) answer {
	t.Helper()
	method := d.method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	if d.event != "" {
		req.Header.Set("X-GitHub-Event", d.event)
	}
	if d.id != "" {
		req.Header.Set("X-GitHub-Delivery", d.id)
	}
	ct := d.contentType
	if ct == "" {
		ct = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	switch d.signature {
	case "":
		req.Header.Set("X-Hub-Signature-256", sign(secret, d.body))
	case "-":
	default:
		req.Header.Set("X-Hub-Signature-256", d.signature)
	}
	for k, v := range d.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: strings.TrimSpace(string(b)), header: resp.Header}
}

// payload reads a testdata webhook example; edit may change it first.
func payload(t *testing.T, name string, edit func(map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return b
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pushTo returns the example branch push, moved to branch.
func pushTo(t *testing.T, branch string) []byte {
	return payload(t, "push.branch.json", func(m map[string]any) {
		m["ref"] = "refs/heads/" + branch
	})
}

// metric reads one sample of the Prometheus text at url/metrics, 0 when absent.
func metric(t *testing.T, base, name string, labels map[string]string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		var lbls string
		if strings.HasPrefix(rest, "{") {
			end := strings.Index(rest, "}")
			lbls, rest = rest[1:end], rest[end+1:]
		} else if !strings.HasPrefix(rest, " ") {
			continue
		}
		if !hasLabels(lbls, labels) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		return v
	}
	return 0
}

func hasLabels(have string, want map[string]string) bool {
	for k, v := range want {
		if !strings.Contains(","+have+",", fmt.Sprintf(",%s=%q,", k, v)) {
			return false
		}
	}
	return true
}

// eventually polls cond every 20ms until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
