package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
	"github.com/switchboard-dev/switchboard/internal/fakeslack"
)

const pushConfig = `
server: {addr: "127.0.0.1:0"}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: sqlite, dsn: $TMP/switchboard.db}
retry: {max_attempts: 5, initial_backoff: 50ms, max_backoff: 1s}
jenkins:
  main: {url: "${JENKINS_URL}", user: switchboard, token: "${JENKINS_TOKEN}"}
slack:
  main: {token: "${SLACK_TOKEN}", api_url: "${SLACK_API}"}
rules:
  - name: build-main
    on: [push]
    if: {repository: "Codertocat/*", branches: [main]}
    do:
      - jenkins:
          job: "acme/{{ .Repository.Name }}/main"
          parameters:
            GIT_SHA: "{{ .SHA }}"
            SWITCHBOARD_DELIVERY: "{{ .Delivery }}"
      - slack:
          channel: "#ci"
          text: "{{ .Sender }} pushed {{ .ShortSHA }} to {{ .Repository.FullName }}@{{ .Branch }}"
`

// A signed push to main becomes one Jenkins build with the rendered folder
// path and parameters and one Slack message; a Slack 429 is waited out; a
// redelivery of the same delivery runs nothing again.
func TestPushTriggersJenkinsAndSlackOnce(t *testing.T) {
	jenkins := fakejenkins.New(fakejenkins.Options{
		User: "switchboard", Token: "jenkins-api-token",
		Jobs: map[string]fakejenkins.Job{"acme/Hello-World/main": {Parameters: []string{"GIT_SHA", "SWITCHBOARD_DELIVERY"}}},
	})
	defer jenkins.Close()
	slack := fakeslack.New(fakeslack.Options{Token: "xoxb-e2e-token"})
	defer slack.Close()
	slack.RateLimit(1, 1) // the first post is refused with Retry-After: 1

	srv := startServer(t, pushConfig, map[string]string{
		"JENKINS_URL": jenkins.URL(), "JENKINS_TOKEN": "jenkins-api-token",
		"SLACK_TOKEN": "xoxb-e2e-token", "SLACK_API": slack.APIURL(),
	})

	body := pushTo(t, "main")
	a := send(t, srv.URL+"/webhook", delivery{event: "push", id: "push-1", body: body})
	if a.status != http.StatusAccepted || a.body != `{"delivery":"push-1","status":"queued"}` {
		t.Fatalf("first delivery: %d %s", a.status, a.body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := jenkins.Wait(ctx, func() bool { return len(jenkins.Triggers()) >= 1 }); err != nil {
		t.Fatalf("no build: %v", err)
	}
	if err := slack.Wait(ctx, func() bool { return len(slack.Messages()) >= 1 }); err != nil {
		t.Fatalf("no message: %v", err)
	}

	// GitHub redelivers the same delivery: answered, nothing runs again.
	a = send(t, srv.URL+"/webhook", delivery{event: "push", id: "push-1", body: body})
	if a.status != http.StatusOK || a.body != `{"delivery":"push-1","status":"duplicate"}` {
		t.Fatalf("redelivery: %d %s", a.status, a.body)
	}
	// A second, new delivery is the barrier: once its build is there, any
	// work the redelivery could have queued would have run as well.
	a = send(t, srv.URL+"/webhook", delivery{event: "push", id: "push-2", body: body})
	if a.status != http.StatusAccepted {
		t.Fatalf("second delivery: %d %s", a.status, a.body)
	}
	if err := slack.Wait(ctx, func() bool { return len(slack.Messages()) >= 2 }); err != nil {
		t.Fatalf("no second message: %v", err)
	}
	eventually(t, 30*time.Second, "both deliveries' actions to succeed", func() bool {
		return metric(t, srv.URL, "switchboard_action_attempts_total", map[string]string{"kind": "jenkins", "outcome": "succeeded"}) == 2 &&
			metric(t, srv.URL, "switchboard_action_attempts_total", map[string]string{"kind": "slack", "outcome": "succeeded"}) == 2
	})

	var p struct {
		After  string                 `json:"after"`
		Sender struct{ Login string } `json:"sender"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	builds := jenkins.Triggers()
	if len(builds) != 2 {
		t.Fatalf("builds = %d, want 2 (one per delivery): %+v", len(builds), builds)
	}
	for i, want := range []string{"push-1", "push-2"} {
		b := builds[i]
		if b.Job != "acme/Hello-World/main" || b.Auth != "token" {
			t.Errorf("build %d: job %q auth %q", i, b.Job, b.Auth)
		}
		if b.Parameters["GIT_SHA"] != p.After || b.Parameters["SWITCHBOARD_DELIVERY"] != want {
			t.Errorf("build %d parameters = %v, want GIT_SHA=%s SWITCHBOARD_DELIVERY=%s", i, b.Parameters, p.After, want)
		}
	}

	msgs := slack.Messages()
	wantText := p.Sender.Login + " pushed " + p.After[:7] + " to Codertocat/Hello-World@main"
	if len(msgs) != 2 || msgs[0].Channel != "#ci" || msgs[0].Text != wantText {
		t.Fatalf("messages = %+v, want two to #ci with %q", msgs, wantText)
	}

	// The 429 was waited out: the retry came no sooner than Retry-After said.
	reqs := slack.Requests()
	if reqs[0].Status != http.StatusTooManyRequests || reqs[1].Status != http.StatusOK {
		t.Fatalf("slack requests = %+v, want a 429 then a 200", reqs)
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < time.Second {
		t.Errorf("retried %s after a 429 with Retry-After: 1", gap)
	}
	if n := metric(t, srv.URL, "switchboard_action_attempts_total", map[string]string{"kind": "slack", "outcome": "retrying"}); n != 1 {
		t.Errorf("slack retrying attempts = %v, want 1", n)
	}
}
