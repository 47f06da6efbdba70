package e2e

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
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

// A reload (SIGHUP, as a value on Options.Reload) swaps a valid config in,
// and keeps the running one when the new file does not validate.
func TestReloadSwapsValidConfigAndKeepsOldOnInvalid(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "switchboard.yml")
	write := func(content string) {
		t.Helper()
		content = strings.ReplaceAll(content, "%DB%", filepath.Join(dir, "switchboard.db"))
		// Write a new file and rename it over the old one, as editors and
		// ConfigMaps do, so a reader never sees half a file.
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.ReplaceAll(reloadConfig, "%MSG%", "first"))

	logger, hook := test.NewNullLogger()
	reload := make(chan struct{})
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
			Reload:   reload,
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
	// reloadNow sends SIGHUP's value and returns the result of the reload it
	// caused, skipping results of reloads the file watcher started.
	reloadNow := func() error {
		t.Helper()
		for len(results) > 0 {
			<-results
		}
		reload <- struct{}{}
		select {
		case err := <-results:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("no reload result within 30s")
			return nil
		}
	}
	push := pushTo(t, "main")

	send(t, base+"/webhook", delivery{event: "push", id: "r-1", body: push})
	eventually(t, 30*time.Second, `"first r-1" logged`, func() bool { return logged("first r-1") })

	write(strings.ReplaceAll(reloadConfig, "%MSG%", "second"))
	if err := reloadNow(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	send(t, base+"/webhook", delivery{event: "push", id: "r-2", body: push})
	eventually(t, 30*time.Second, `"second r-2" logged`, func() bool { return logged("second r-2") })

	// An invalid file: an unknown key and a template with a field push
	// events do not have.
	bad := strings.ReplaceAll(reloadConfig, "%MSG%", "third {{ .PullRequest.Title }}") + "bogus: true\n"
	write(bad)
	err := reloadNow()
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
	var rejected bool
	for _, e := range hook.AllEntries() {
		if e.Message == "config reload rejected; keeping the running config" {
			rejected = true
		}
	}
	if !rejected {
		t.Error("the rejected reload was not logged")
	}
}
