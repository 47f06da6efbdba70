package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/switchboard-dev/switchboard/server"
)

const reloadConfig = `
server: {addr: "127.0.0.1:0"}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: sqlite, dsn: "%DB%"}
rules:
  - name: announce
    on: [push]
    do:
      - log: {message: "%MSG% {{ .Delivery }}"}
`

// A change of the config file (an editor's or a ConfigMap's rename over
// it) swaps a valid config in, and keeps the running one when the new file
// does not validate. TestReloadOnSIGHUP does the same with the signal.
func TestReloadOnFileChangeSwapsValidConfigAndKeepsOldOnInvalid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "switchboard.yml")
	write := func(content string) {
		writeConfig(t, path, strings.ReplaceAll(content, "%DB%", filepath.Join(dir, "switchboard.db")))
	}
	write(strings.ReplaceAll(reloadConfig, "%MSG%", "first"))

	logger, hook := test.NewNullLogger()
	results := make(chan error, 16)
	addr := make(chan net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{
			ConfigPath: path,
			LookupEnv: func(k string) (string, bool) {
				if k == "GITHUB_WEBHOOK_SECRET" {
					return secret, true
				}
				return "", false
			},
			Logger:   logrus.NewEntry(logger),
			Registry: prometheus.NewRegistry(),
			OnListen: func(a net.Addr) { addr <- a },
			OnReload: func(err error) { results <- err },
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	}

	logged := func(msg string) bool {
		for _, e := range hook.AllEntries() {
			if e.Message == msg {
				return true
			}
		}
		return false
	}
	// reloaded returns the result of the reload the watcher starts.
	reloaded := func() error {
		t.Helper()
		select {
		case err := <-results:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("no reload within 30s of the file change")
			return nil
		}
	}
	push := pushTo(t, "main")

	send(t, base+"/webhook", delivery{event: "push", id: "r-1", body: push})
	eventually(t, 30*time.Second, `"first r-1" logged`, func() bool { return logged("first r-1") })

	write(strings.ReplaceAll(reloadConfig, "%MSG%", "second"))
	if err := reloaded(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	send(t, base+"/webhook", delivery{event: "push", id: "r-2", body: push})
	eventually(t, 30*time.Second, `"second r-2" logged`, func() bool { return logged("second r-2") })

	write(badReloadConfig)
	err := reloaded()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	if !strings.Contains(err.Error(), `unknown key "bogus"`) {
		t.Errorf("reload error = %v, want the unknown key named", err)
	}
	send(t, base+"/webhook", delivery{event: "push", id: "r-3", body: push})
	eventually(t, 30*time.Second, `"second r-3" logged`, func() bool { return logged("second r-3") })
	for _, e := range hook.AllEntries() {
		if strings.HasPrefix(e.Message, "third") {
			t.Errorf("the rejected config ran: %q", e.Message)
		}
	}
	if !logged("config reload rejected; keeping the running config") {
		t.Error("the rejected reload was not logged")
	}
}

// badReloadConfig has an unknown key and a template with a field push
// events do not have.
var badReloadConfig = strings.ReplaceAll(reloadConfig, "%MSG%", "third {{ .PullRequest.Title }}") + "bogus: true\n"

// writeConfig writes a new file and renames it over path, as editors and
// ConfigMaps do, so a reader never sees half a file.
func writeConfig(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// A real SIGHUP to the built binary, run with --watch=false so that only
// the signal can reload: a valid config is swapped in, an invalid one is
// rejected, logged problem by problem, and the running config stays.
func TestReloadOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	path := filepath.Join(dir, "switchboard.yml")
	write := func(content string) {
		writeConfig(t, path, strings.ReplaceAll(content, "%DB%", filepath.Join(dir, "switchboard.db")))
	}
	write(strings.ReplaceAll(reloadConfig, "%MSG%", "first"))
	p := startBinary(t, bin, path, []string{"GITHUB_WEBHOOK_SECRET=" + secret}, "--watch=false")
	hook := p.url + "/webhook"
	push := pushTo(t, "main")
	// logged waits for a JSON log line with msg, and the other fields given.
	logged := func(msg string, fields map[string]string) {
		t.Helper()
		eventually(t, 30*time.Second, fmt.Sprintf("log line %q %v", msg, fields), func() bool {
			for _, e := range p.logs.entries() {
				if e["msg"] != msg {
					continue
				}
				ok := true
				for k, v := range fields {
					ok = ok && fmt.Sprint(e[k]) == v
				}
				if ok {
					return true
				}
			}
			return false
		})
	}
	sighup := func() {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	send(t, hook, delivery{event: "push", id: "h-1", body: push})
	logged("first h-1", nil)

	write(strings.ReplaceAll(reloadConfig, "%MSG%", "second"))
	// Without the signal the edit is not picked up.
	send(t, hook, delivery{event: "push", id: "h-2", body: push})
	logged("first h-2", nil)
	sighup()
	logged("config reloaded", map[string]string{"trigger": "signal"})
	send(t, hook, delivery{event: "push", id: "h-3", body: push})
	logged("second h-3", nil)

	write(badReloadConfig)
	sighup()
	logged("config reload rejected; keeping the running config", map[string]string{"trigger": "signal"})
	send(t, hook, delivery{event: "push", id: "h-4", body: push})
	logged("second h-4", nil)
	var problems string
	for _, e := range p.logs.entries() {
		if e["msg"] == "config reload rejected; keeping the running config" {
			problems = fmt.Sprint(e["problems"])
		}
		if strings.HasPrefix(fmt.Sprint(e["msg"]), "third") {
			t.Errorf("the rejected config ran: %v", e["msg"])
		}
	}
	if !strings.Contains(problems, `switchboard.yml:10:1: bogus: unknown key "bogus"`) {
		t.Errorf("rejected reload's problems = %s, want the unknown key, placed", problems)
	}
}
