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

// jenkinsConfig is a config whose one rule builds every push to main in
// Jenkins with the delivery parameter, over the given store mapping.
func jenkinsConfig(store string) string {
	return `
server: {addr: "127.0.0.1:0", shutdown_timeout: 10s}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: ` + store + `
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
}

// Deliveries arrive while Jenkins answers 503; the process is killed with
// SIGKILL while it retries, and restarted; Jenkins comes back; there is
// exactly one build per delivery.
func TestKilledMidRetryBuildsEachDeliveryOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	jenkins := deliveryJenkins(t)
	jenkins.SetUnavailable(true)
	cfgPath, env := writeCrashConfig(t, dir, jenkins)

	first := startBinary(t, bin, cfgPath, env)
	const n = 10
	sendPushes(t, "crash", n, first.url)
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

	second := startBinary(t, bin, cfgPath, env)
	jenkins.SetUnavailable(false)
	if err := jenkins.Wait(ctx, func() bool { return len(jenkins.Triggers()) >= n }); err != nil {
		t.Fatalf("waiting for builds: %v (builds %d)\n%s", err, len(jenkins.Triggers()), second.logs)
	}
	eventually(t, 60*time.Second, "every action to succeed", func() bool {
		return metric(t, second.url, "switchboard_action_attempts_total", map[string]string{"kind": "jenkins", "outcome": "succeeded"}) == n
	})
	stopGracefully(t, second)
	wantOneBuildEach(t, jenkins, "crash", n)
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
	jenkins := deliveryJenkins(t)
	cfgPath, env := writeCrashConfig(t, dir, jenkins)

	const n = 5
	killWhileTriggersHang(t, bin, cfgPath, env, jenkins, "hang", n)

	second := startBinary(t, bin, cfgPath, env)
	eventually(t, 60*time.Second, "every rescued action to succeed", func() bool {
		return metric(t, second.url, "switchboard_action_attempts_total", map[string]string{"kind": "jenkins", "outcome": "succeeded"}) == n
	})
	stopGracefully(t, second)
	wantOneBuildEach(t, jenkins, "hang", n)
}

// killWhileTriggersHang starts the binary, sends n pushes to main with IDs
// prefix-0 .. prefix-(n-1) while jenkins holds its answers to triggers,
// waits until every trigger has reached Jenkins (the actions are running),
// SIGKILLs the process and lets Jenkins answer again.
func killWhileTriggersHang(t *testing.T, bin, cfgPath string, env []string, jenkins *fakejenkins.Server, prefix string, n int) {
	t.Helper()
	jenkins.SetHangTriggers(true)
	first := startBinary(t, bin, cfgPath, env)
	sendPushes(t, prefix, n, first.url)
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
}

// deliveryJenkins is a fake Jenkins whose job takes the delivery parameter,
// so that a retried trigger can be checked, as the README asks users to set
// up.
func deliveryJenkins(t *testing.T) *fakejenkins.Server {
	t.Helper()
	j := fakejenkins.New(fakejenkins.Options{
		User: "switchboard", Token: "jenkins-api-token",
		Jobs: map[string]fakejenkins.Job{"acme/Hello-World/main": {Parameters: []string{"GIT_SHA", "SWITCHBOARD_DELIVERY"}}},
	})
	t.Cleanup(j.Close)
	return j
}

// wantOneBuildEach checks that jenkins saw exactly one build for each of the
// deliveries prefix-0 .. prefix-(n-1), and none for any other.
func wantOneBuildEach(t *testing.T, jenkins *fakejenkins.Server, prefix string, n int) {
	t.Helper()
	per := map[string]int{}
	for _, b := range jenkins.Triggers() {
		per[b.Parameters["SWITCHBOARD_DELIVERY"]]++
	}
	for i := range n {
		if id := fmt.Sprintf("%s-%d", prefix, i); per[id] != 1 {
			t.Errorf("delivery %s built %d times, want 1", id, per[id])
		}
	}
	if len(per) != n {
		t.Errorf("builds for %d deliveries, want %d: %v", len(per), n, per)
	}
}

// sendPushes delivers n pushes to main with IDs prefix-0 .. prefix-(n-1),
// the i-th to urls[i%len(urls)], and wants each queued.
func sendPushes(t *testing.T, prefix string, n int, urls ...string) {
	t.Helper()
	body := pushTo(t, "main")
	for i := range n {
		a := send(t, urls[i%len(urls)]+"/webhook", delivery{event: "push", id: fmt.Sprintf("%s-%d", prefix, i), body: body})
		if a.status != http.StatusAccepted {
			t.Fatalf("delivery %d: %d %s", i, a.status, a.body)
		}
	}
}

// writeCrashConfig writes a jenkinsConfig on a SQLite file into dir and
// returns its path and the environment it needs.
func writeCrashConfig(t *testing.T, dir string, jenkins *fakejenkins.Server) (string, []string) {
	t.Helper()
	cfgPath := filepath.Join(dir, "switchboard.yml")
	if err := os.WriteFile(cfgPath, []byte(jenkinsConfig(fmt.Sprintf("{driver: sqlite, dsn: %s, rescue_after: 3s}", filepath.Join(dir, "switchboard.db")))), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, []string{"GITHUB_WEBHOOK_SECRET=" + secret, "JENKINS_URL=" + jenkins.URL(), "JENKINS_TOKEN=jenkins-api-token"}
}
