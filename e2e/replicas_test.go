package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var replicasConfig = jenkinsConfig(`{driver: postgres, dsn: "${DSN}", rescue_after: 3s}`)

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
	jenkins := deliveryJenkins(t)
	jenkins.SetUnavailable(true)

	cfgPath := filepath.Join(dir, "switchboard.yml")
	if err := os.WriteFile(cfgPath, []byte(replicasConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"GITHUB_WEBHOOK_SECRET=" + secret, "DSN=" + dsn, "JENKINS_URL=" + jenkins.URL(), "JENKINS_TOKEN=jenkins-api-token"}
	replicas := []*process{startBinary(t, bin, cfgPath, env), startBinary(t, bin, cfgPath, env)}

	const n = 20
	sendPushes(t, "replica", n, replicas[0].url, replicas[1].url) // a round-robin load balancer
	body := pushTo(t, "main")
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

	stopGracefully(t, survivor)
	wantOneBuildEach(t, jenkins, "replica", n)
}
