package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

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

// The worst case: Jenkins queues the build but its answer never comes back,
// and the process is killed while it waits (the action is running). After
// the restart the job is rescued, the rerun checks Jenkins for a build
// carrying its delivery ID, finds it, and queues no second one.
func TestKilledMidTriggerBuildsOnce(t *testing.T) {
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
	jenkins.SetHangTriggers(true)

	cfgPath := filepath.Join(dir, "switchboard.yml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(crashConfig, filepath.Join(dir, "switchboard.db"))), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"GITHUB_WEBHOOK_SECRET=" + secret, "JENKINS_URL=" + jenkins.URL(), "JENKINS_TOKEN=jenkins-api-token"}
	first := startBinary(t, bin, cfgPath, env)
	const n = 5
	body := pushTo(t, "main")
	for i := range n {
		a := send(t, first.url+"/webhook", delivery{event: "push", id: fmt.Sprintf("hang-%d", i), body: body})
		if a.status != http.StatusAccepted {
			t.Fatalf("delivery %d: %d %s", i, a.status, a.body)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := jenkins.Wait(ctx, func() bool { return len(jenkins.Triggers()) >= n }); err != nil {
		t.Fatalf("waiting for the held triggers: %v (%d)\n%s", err, len(jenkins.Triggers()), first.logs)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	jenkins.SetHangTriggers(false)

	second := startBinary(t, bin, cfgPath, env)
	eventually(t, 60*time.Second, "every rescued action to succeed", func() bool {
		return metric(t, second.url, "switchboard_action_attempts_total", map[string]string{"kind": "jenkins", "outcome": "succeeded"}) == n
	})
	per := map[string]int{}
	for _, b := range jenkins.Triggers() {
		per[b.Parameters["SWITCHBOARD_DELIVERY"]]++
	}
	for i := range n {
		if id := fmt.Sprintf("hang-%d", i); per[id] != 1 {
			t.Errorf("delivery %s triggered %d times, want 1", id, per[id])
		}
	}
	if len(per) != n {
		t.Errorf("triggers for %d deliveries, want %d: %v", len(per), n, per)
	}
}
