package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

// adminToken is the admin token of the admin tests' servers.
const adminToken = "e2e-admin-token-0123456789"

// hookSecret signs the http action's requests; it must never be shown.
const hookSecret = "e2e-hook-secret-do-not-show"

// adminSetup is a server with the admin API on, a fake Jenkins that builds
// pushes to main, and an HTTP endpoint that pushes to feature branches call.
type adminSetup struct {
	srv     *running
	jenkins *fakejenkins.Server
	hook    *httptest.Server
	hookHit atomic.Int64
	cfg     string // the config the server runs
	env     map[string]string
}

// adminConfig: build-main builds pushes to main; hook-feature calls HOOK_URL
// for pushes to feature/*, once (max_attempts 1), so that a failing
// endpoint makes a failed action at once.
const adminConfig = `
server: {addr: "127.0.0.1:0", shutdown_timeout: 10s, admin_token: "${SWITCHBOARD_ADMIN_TOKEN}"}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: sqlite, dsn: "$TMP/switchboard.db"}
retry: {max_attempts: 1, initial_backoff: 100ms, max_backoff: 100ms}
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
  - name: hook-feature
    on: [push]
    if: {branches: ["feature/*"]}
    do:
      - http: {url: "${HOOK_URL}", secret: "${HOOK_SECRET}"}
`

// answer is how the http action's endpoint answers a request body.
type answerFunc func(body []byte) int

// always answers every request with status.
func always(status int) answerFunc { return func([]byte) int { return status } }

// startAdmin starts the server; hook says what the endpoint answers.
func startAdmin(t *testing.T, hook answerFunc) *adminSetup {
	t.Helper()
	a := &adminSetup{jenkins: deliveryJenkins(t), cfg: adminConfig}
	a.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hookHit.Add(1)
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(hook(body))
	}))
	t.Cleanup(a.hook.Close)
	a.env = map[string]string{
		"SWITCHBOARD_ADMIN_TOKEN": adminToken,
		"JENKINS_URL":             a.jenkins.URL(),
		"JENKINS_TOKEN":           "jenkins-api-token",
		"HOOK_URL":                a.hook.URL,
		"HOOK_SECRET":             hookSecret,
	}
	a.srv = startServer(t, a.cfg, a.env)
	return a
}

// push delivers a push to branch with delivery id, and wants it queued.
func (a *adminSetup) push(t *testing.T, id, branch string) {
	t.Helper()
	if got := send(t, a.srv.URL+"/webhook", delivery{event: "push", id: id, body: pushTo(t, branch)}); got.status != http.StatusAccepted {
		t.Fatalf("delivery %s: %d %s", id, got.status, got.body)
	}
}

// status reads a delivery's status through the API ("" when not found).
func (a *adminSetup) status(t *testing.T, id string) string {
	t.Helper()
	st, _ := deliveryDetail(t, a.srv.URL, id)["status"].(string)
	return st
}

// settled waits until delivery id is done: no action queued or running.
func (a *adminSetup) settled(t *testing.T, id string) string {
	t.Helper()
	var s string
	eventually(t, 60*time.Second, "delivery "+id+" to settle", func() bool {
		s = a.status(t, id)
		return s != "" && s != "queued" && s != "running"
	})
	return s
}

// lines splits output into its lines, without the empty last one.
func lines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}
