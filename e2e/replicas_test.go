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

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

const replicasConfig = `
server: {addr: "127.0.0.1:0", shutdown_timeout: 10s}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: postgres, dsn: "${DSN}", rescue_after: 3s}
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

// Two serve processes share one Postgres database. Deliveries are spread
// across both while Jenkins answers 503, so both retry; one is killed with
// SIGKILL; Jenkins comes back; the survivor completes every action, and
// there is exactly one build per delivery.
func TestReplicasOnPostgresSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dsn, _, _ := postgresDatabase(t)
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	jenkins := fakejenkins.New(fakejenkins.Options{
		User: "switchboard", Token: "jenkins-api-token",
		Jobs: map[string]fakejenkins.Job{"acme/Hello-World/main": {Parameters: []string{"GIT_SHA", "SWITCHBOARD_DELIVERY"}}},
	})
	defer jenkins.Close()
	jenkins.SetUnavailable(true)

	cfgPath := filepath.Join(dir, "switchboard.yml")
	if err := os.WriteFile(cfgPath, []byte(replicasConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"GITHUB_WEBHOOK_SECRET=" + secret, "DSN=" + dsn, "JENKINS_URL=" + jenkins.URL(), "JENKINS_TOKEN=jenkins-api-token"}
	replicas := []*process{startBinary(t, bin, cfgPath, env), startBinary(t, bin, cfgPath, env)}

	const n = 20
	body := pushTo(t, "main")
	for i := range n {
		p := replicas[i%2] // a round-robin load balancer
		a := send(t, p.url+"/webhook", delivery{event: "push", id: fmt.Sprintf("replica-%d", i), body: body})
		if a.status != http.StatusAccepted {
			t.Fatalf("delivery %d at replica %d: %d %s", i, i%2, a.status, a.body)
		}
	}
	// A redelivery that lands on the other replica is a duplicate there too:
	// the delivery log is shared.
	if a := send(t, replicas[1].url+"/webhook", delivery{event: "push", id: "replica-0", body: body}); a.status != http.StatusOK || a.body != `{"delivery":"replica-0","status":"duplicate"}` {
		t.Fatalf("redelivery at the other replica: %d %s", a.status, a.body)
	}

	// Both replicas are retrying refused triggers when one of them dies.
	retrying := func(p *process) float64 {
		return metric(t, p.url, "switchboard_action_attempts_total", map[string]string{"kind": "jenkins", "outcome": "retrying"})
	}
	eventually(t, 60*time.Second, "both replicas to retry refused triggers", func() bool {
		return retrying(replicas[0]) >= n/2 && retrying(replicas[1]) >= n/2
	})
	victim, survivor := replicas[0], replicas[1]
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	if got := len(jenkins.Triggers()); got != 0 {
		t.Fatalf("%d builds while Jenkins was down", got)
	}

	jenkins.SetUnavailable(false)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := jenkins.Wait(ctx, func() bool { return len(jenkins.Triggers()) >= n }); err != nil {
		t.Fatalf("waiting for builds: %v (builds %d)\n%s", err, len(jenkins.Triggers()), survivor.logs)
	}
	eventually(t, 60*time.Second, "the survivor to complete every action", func() bool {
		return metric(t, survivor.url, "switchboard_action_attempts_total", map[string]string{"kind": "jenkins", "outcome": "succeeded"}) == n
	})
	// Every action's outcome is recorded as succeeded in the shared store.
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	var succeeded int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM action_outcomes WHERE kind = 'jenkins' AND state = 'succeeded'").Scan(&succeeded); err != nil {
		t.Fatal(err)
	}
	if succeeded != n {
		t.Errorf("action_outcomes: %d succeeded, want %d", succeeded, n)
	}

	if err := survivor.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-survivor.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, survivor.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
	per := map[string]int{}
	for _, b := range jenkins.Triggers() {
		per[b.Parameters["SWITCHBOARD_DELIVERY"]]++
	}
	for i := range n {
		if id := fmt.Sprintf("replica-%d", i); per[id] != 1 {
			t.Errorf("delivery %s built %d times, want 1", id, per[id])
		}
	}
	if len(per) != n {
		t.Errorf("builds for %d deliveries, want %d: %v", len(per), n, per)
	}
}
