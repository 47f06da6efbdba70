package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

// buildBinary builds cmd/switchboard into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "switchboard")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/switchboard")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is one running switchboard binary.
type process struct {
	cmd  *exec.Cmd
	url  string
	done chan error
	logs *syncLog
}

// syncLog collects a process's log lines for failure messages.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(line + "\n")
}

// String implements fmt.Stringer.
func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBinary runs `switchboard serve` and waits for its "serving" log line.
func startBinary(t *testing.T, bin, cfgPath string, env []string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "-c", cfgPath)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1), logs: &syncLog{}}
	addr := make(chan string, 1)
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			var entry struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "switchboard serving" {
				addr <- entry.Addr
			}
			select {
			case lines <- line:
			default:
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		close(lines)
	}()
	go func() { p.done <- cmd.Wait() }()
	go func() {
		for l := range lines {
			p.logs.add(l)
		}
	}()
	select {
	case a := <-addr:
		p.url = "http://" + a
	case err := <-p.done:
		t.Fatalf("switchboard exited at start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("switchboard did not start within 60s")
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	return p
}

const crashConfig = `
server: {addr: "127.0.0.1:0", shutdown_timeout: 10s}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: sqlite, dsn: %s, rescue_after: 3s}
retry: {max_attempts: 1000, initial_backoff: 100ms, max_backoff: 500ms}
jenkins:
  main: {url: "${JENKINS_URL}", user: switchboard, token: "${JENKINS_TOKEN}"}
rules:
  - name: build-main
    on: [push]
    if: {branches: [main]}
    do:
      - jenkins:
          job: "acme/{{ .Repository.Name }}/main"
          parameters: {GIT_SHA: "{{ .SHA }}", SWITCHBOARD_DELIVERY: "{{ .Delivery }}"}
`

// Deliveries arrive while Jenkins answers 503; the process is killed with
// SIGKILL while it retries, and restarted; Jenkins comes back; there is
// exactly one build per delivery.
func TestKilledMidRetryBuildsEachDeliveryOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	jenkins := fakejenkins.New(fakejenkins.Options{
		User: "switchboard", Token: "jenkins-api-token",
		Jobs: map[string]fakejenkins.Job{"acme/Hello-World/main": {Parameters: []string{"GIT_SHA", "SWITCHBOARD_DELIVERY"}}},
	})
	defer jenkins.Close()
	jenkins.SetUnavailable(true)

	cfgPath := filepath.Join(dir, "switchboard.yml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(crashConfig, filepath.Join(dir, "switchboard.db"))), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"GITHUB_WEBHOOK_SECRET=" + secret, "JENKINS_URL=" + jenkins.URL(), "JENKINS_TOKEN=jenkins-api-token"}

	first := startBinary(t, bin, cfgPath, env)
	const n = 10
	body := pushTo(t, "main")
	for i := range n {
		a := send(t, first.url+"/webhook", delivery{event: "push", id: fmt.Sprintf("crash-%d", i), body: body})
		if a.status != http.StatusAccepted {
			t.Fatalf("delivery %d: %d %s", i, a.status, a.body)
		}
	}
	// Every delivery's trigger has been refused at least twice: all are
	// mid-retry when the process dies.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := jenkins.Wait(ctx, func() bool { return jenkins.Requests() >= 3*n }); err != nil {
		t.Fatalf("waiting for retries: %v (requests %d)\n%s", err, jenkins.Requests(), first.logs)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	if got := len(jenkins.Triggers()); got != 0 {
		t.Fatalf("%d builds while Jenkins was down", got)
	}

	t.Logf("killed; restarting")
	second := startBinary(t, bin, cfgPath, env)
	jenkins.SetUnavailable(false)
	t.Logf("restarted; waiting for builds")
	if err := jenkins.Wait(ctx, func() bool { return len(jenkins.Triggers()) >= n }); err != nil {
		t.Fatalf("waiting for builds: %v (builds %d)\n%s", err, len(jenkins.Triggers()), second.logs)
	}
	t.Logf("builds seen")
	eventually(t, 60*time.Second, "every action to succeed", func() bool {
		return metric(t, second.url, "switchboard_action_attempts_total", map[string]string{"kind": "jenkins", "outcome": "succeeded"}) == n
	})

	// A graceful stop, so nothing is left running that could still build.
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-second.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, second.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}

	per := map[string]int{}
	for _, b := range jenkins.Triggers() {
		per[b.Parameters["SWITCHBOARD_DELIVERY"]]++
	}
	for i := range n {
		if id := fmt.Sprintf("crash-%d", i); per[id] != 1 {
			t.Errorf("delivery %s built %d times, want 1", id, per[id])
		}
	}
	if len(per) != n {
		t.Errorf("builds for %d deliveries, want %d: %v", len(per), n, per)
	}
}
