package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds cmd/switchboard into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	return buildCommand(t, dir, "switchboard")
}

// buildCommand builds cmd/name into dir.
func buildCommand(t *testing.T, dir, name string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
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

// maxLogLines is how many of a process's last log lines a syncLog keeps:
// enough for a failure message, bounded for a soak.
const maxLogLines = 5000

// syncLog collects a process's last log lines for failure messages.
type syncLog struct {
	mu      sync.Mutex
	lines   []string
	dropped int
}

func (l *syncLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == maxLogLines {
		l.lines = append(l.lines[:0], l.lines[maxLogLines/2:]...)
		l.dropped += maxLogLines / 2
	}
	l.lines = append(l.lines, line)
}

// String implements fmt.Stringer.
func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	if l.dropped > 0 {
		fmt.Fprintf(&b, "(%d earlier lines dropped)\n", l.dropped)
	}
	for _, line := range l.lines {
		b.WriteString(line + "\n")
	}
	return b.String()
}

// entries returns the kept lines that are JSON log entries, decoded.
func (l *syncLog) entries() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]map[string]any, 0, len(l.lines))
	for _, line := range l.lines {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

// startBinary runs `switchboard serve` with extra args and waits for its
// "serving" log line.
func startBinary(t *testing.T, bin, cfgPath string, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "-c", cfgPath}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Registered at once, so that a process that fails to start is not
	// left running.
	t.Cleanup(func() { _ = cmd.Process.Kill() })
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
	return p
}

// stopGracefully sends p SIGTERM and waits for a clean exit, so that nothing
// is left running that could still act.
func stopGracefully(t *testing.T, p *process) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
}
