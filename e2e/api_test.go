package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

// apiToken and the http action's secrets: none may ever be shown.
const (
	apiToken      = "e2e-api-admin-token-abcdef0123"
	apiHookSecret = "e2e-api-hook-signing-secret"
	apiHookToken  = "e2e-api-hook-bearer-token"
)

const apiConfig = `
server: {addr: "127.0.0.1:0", shutdown_timeout: 10s, admin_token: "${SWITCHBOARD_ADMIN_TOKEN}"}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: $DRIVER, dsn: "$DSN"}
retry: {max_attempts: 3, initial_backoff: 50ms, max_backoff: 100ms}
jenkins:
  main: {url: "${JENKINS_URL}", user: switchboard, token: "${JENKINS_TOKEN}"}
rules:
  - name: build-main
    on: [push]
    if: {repository: "codertocat/*", branches: [main]}
    do:
      - jenkins:
          job: "acme/{{ .Repository.Name }}/main"
          parameters: {GIT_SHA: "{{ .SHA }}", SWITCHBOARD_DELIVERY: "{{ .Delivery }}"}
      - http:
          url: "${HOOK_URL}"
          secret: "${HOOK_SECRET}"
          headers: {Authorization: "Bearer ${HOOK_TOKEN}", X-Note: "signed with ${HOOK_SECRET}"}
          body: '{"sha": "{{ .SHA }}"}'
  - name: release-tags
    on: [push]
    if: {tags: ["v*"]}
    do:
      - log: {message: "release"}
`

type apiDetail struct {
	ID, Status string
	ReplayOf   string `json:"replay_of"`
	Rules      []struct {
		Name       string
		Matched    bool
		Conditions []struct {
			Condition, Detail string
			OK                bool
		}
	}
	Actions []struct {
		ID, Kind, State string
		Params          map[string]any
		Attempts        []struct {
			N          int
			Outcome    string
			DurationMS *int64 `json:"duration_ms"`
		}
		Links map[string]string
	}
}

func apiGet(t *testing.T, url string, v any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	return apiDo(t, req, v)
}

func apiDo(t *testing.T, req *http.Request, v any) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v\n%s", req.URL, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

// TestAPIExplainsAndReplays runs the real server (SQLite, then Postgres)
// with the admin API on: a push to main triggers a build on the fake
// Jenkins and a signed http call; the API shows why each rule matched or
// not, the actions' params with every secret as <secret>, their attempts
// and the build's queue item; a replay triggers a second build, with the
// replay's own delivery id; the backlog metrics are served.
func TestAPIExplainsAndReplays(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			dsn := "$TMP/switchboard.db"
			if driver == "postgres" {
				dsn, _, _ = postgresDatabase(t)
			}
			jenkins := fakejenkins.New(fakejenkins.Options{
				User: "switchboard", Token: "jenkins-api-token",
				Jobs: map[string]fakejenkins.Job{"acme/Hello-World/main": {Parameters: []string{"GIT_SHA", "SWITCHBOARD_DELIVERY"}}},
			})
			defer jenkins.Close()
			var hookCalls atomic.Int64
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hookCalls.Add(1)
				w.WriteHeader(http.StatusOK)
			}))
			defer hook.Close()

			cfg := strings.NewReplacer("$DRIVER", driver, "$DSN", dsn).Replace(apiConfig)
			srv := startServer(t, cfg, map[string]string{
				"SWITCHBOARD_ADMIN_TOKEN": apiToken, "JENKINS_URL": jenkins.URL(), "JENKINS_TOKEN": "jenkins-api-token",
				"HOOK_URL": hook.URL, "HOOK_SECRET": apiHookSecret, "HOOK_TOKEN": apiHookToken,
			})

			if a := send(t, srv.URL+"/webhook", delivery{event: "push", id: "api-1", body: pushTo(t, "main"),
				header: map[string]string{"X-GitHub-Hook-ID": "777", "User-Agent": "GitHub-Hookshot/e2e"}}); a.status != http.StatusAccepted {
				t.Fatalf("webhook: %d %s", a.status, a.body)
			}
			var d apiDetail
			var body string
			eventually(t, 30*time.Second, "both actions to succeed", func() bool {
				d = apiDetail{}
				_, body = apiGet(t, srv.URL+"/api/v1/deliveries/api-1", &d)
				return d.Status == "succeeded"
			})
			for _, leak := range []string{apiHookSecret, apiHookToken, apiToken, "jenkins-api-token", secret} {
				if strings.Contains(body, leak) {
					t.Errorf("the detail shows a secret (%s): %s", leak, body)
				}
			}
			if len(d.Rules) != 2 || d.Rules[0].Name != "build-main" || !d.Rules[0].Matched || d.Rules[1].Matched {
				t.Fatalf("rules: %+v", d.Rules)
			}
			last := d.Rules[1].Conditions[len(d.Rules[1].Conditions)-1]
			if last.Condition != "tags" || last.OK || last.Detail != "the push is of branch main, not a tag; wanted v*" {
				t.Errorf("why release-tags did not match: %+v", last)
			}
			if len(d.Actions) != 2 {
				t.Fatalf("actions: %+v", d.Actions)
			}
			j, h := d.Actions[0], d.Actions[1]
			if j.Kind != "jenkins" || j.State != "succeeded" || len(j.Attempts) != 1 || j.Attempts[0].Outcome != "succeeded" ||
				j.Attempts[0].DurationMS == nil || !strings.Contains(j.Links["jenkins_queue_item"], "/queue/item/") ||
				j.Params["job"] != "acme/Hello-World/main" {
				t.Errorf("jenkins action: %+v", j)
			}
			headers, _ := h.Params["headers"].(map[string]any)
			if h.Kind != "http" || h.State != "succeeded" || h.Params["secret"] != "<secret>" ||
				headers["Authorization"] != "<secret>" || headers["X-Note"] != "signed with <secret>" {
				t.Errorf("http action params: %+v", h.Params)
			}

			// Replay: a new delivery, and a second build that names it.
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/deliveries/api-1/replay", nil)
			req.Header.Set("Authorization", "Bearer "+apiToken)
			if code, b := apiDo(t, req, nil); code != http.StatusAccepted || b != `{"delivery":"api-1.replay-1","replay_of":"api-1"}` {
				t.Fatalf("replay: %d %s", code, b)
			}
			eventually(t, 30*time.Second, "a second build", func() bool { return len(jenkins.Triggers()) >= 2 })
			tr := jenkins.Triggers()
			if len(tr) != 2 || tr[0].Parameters["SWITCHBOARD_DELIVERY"] != "api-1" || tr[1].Parameters["SWITCHBOARD_DELIVERY"] != "api-1.replay-1" {
				t.Errorf("builds: %+v", tr)
			}
			var r apiDetail
			eventually(t, 30*time.Second, "the replay to succeed", func() bool {
				r = apiDetail{}
				apiGet(t, srv.URL+"/api/v1/deliveries/api-1.replay-1", &r)
				return r.Status == "succeeded"
			})
			if r.ReplayOf != "api-1" || len(r.Actions) != 2 || r.Actions[0].ID == j.ID || hookCalls.Load() != 2 {
				t.Errorf("replay: %+v, hook calls %d", r, hookCalls.Load())
			}

			// The backlog metrics: everything ran, nothing waits.
			if v := metric(t, srv.URL, "switchboard_queue_jobs", map[string]string{"kind": "run_action", "state": "available"}); v != 0 {
				t.Errorf("switchboard_queue_jobs{run_action,available} = %v, want 0", v)
			}
			if v := metric(t, srv.URL, "switchboard_delivery_to_action_seconds_count", nil); v != 4 {
				t.Errorf("switchboard_delivery_to_action_seconds_count = %v, want 4 (two actions of two deliveries)", v)
			}
			resp, err := http.Get(srv.URL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			mb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, name := range []string{`switchboard_queue_jobs{kind="process_delivery",state="running"}`, "switchboard_queue_oldest_available_seconds 0"} {
				if !strings.Contains(string(mb), name) {
					t.Errorf("/metrics lacks %s", name)
				}
			}
		})
	}
}

// TestAPIOffWithoutToken: with no server.admin_token the API and the page
// are 404, token or not, and serve says at start that they are off.
func TestAPIOffWithoutToken(t *testing.T) {
	srv := startServer(t, `
server: {addr: "127.0.0.1:0"}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: sqlite, dsn: "$TMP/switchboard.db"}
`, nil)
	for _, p := range []string{"/api/v1/deliveries", "/api/v1/deliveries/x/replay", "/ui/", "/ui"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		if code, b := apiDo(t, req, nil); code != http.StatusNotFound || b != `{"error":"not found"}` {
			t.Errorf("%s: %d %s", p, code, b)
		}
	}
	found := false
	for _, e := range srv.Logs.AllEntries() {
		found = found || e.Message == "admin API and web page are off (set server.admin_token to turn them on)"
	}
	if !found {
		t.Error("serve did not say the admin API is off")
	}
}

// TestAPIRetryRunsAgain: an http action that failed for good (a 400) is
// retried through the API, runs again at once through the real runner,
// and its attempts show both; a second retry of the action, now
// succeeded, is 409.
func TestAPIRetryRunsAgain(t *testing.T) {
	var status atomic.Int64
	status.Store(http.StatusBadRequest)
	var calls atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	defer hook.Close()
	srv := startServer(t, `
server: {addr: "127.0.0.1:0", shutdown_timeout: 10s, admin_token: "${SWITCHBOARD_ADMIN_TOKEN}"}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {driver: sqlite, dsn: "$TMP/switchboard.db"}
rules:
  - name: call
    on: [push]
    do:
      - http: {url: "${HOOK_URL}", body: "x"}
`, map[string]string{"SWITCHBOARD_ADMIN_TOKEN": apiToken, "HOOK_URL": hook.URL})

	if a := send(t, srv.URL+"/webhook", delivery{event: "push", id: "retry-1", body: pushTo(t, "main")}); a.status != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", a.status, a.body)
	}
	var d apiDetail
	eventually(t, 30*time.Second, "the action to fail", func() bool {
		d = apiDetail{}
		apiGet(t, srv.URL+"/api/v1/deliveries/retry-1", &d)
		return d.Status == "failed"
	})
	id := d.Actions[0].ID
	status.Store(http.StatusOK)
	retry := func() (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/actions/"+id+"/retry", nil)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		return apiDo(t, req, nil)
	}
	if code, b := retry(); code != http.StatusAccepted || b != `{"action":"`+id+`","state":"queued"}` {
		t.Fatalf("retry: %d %s", code, b)
	}
	var last string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last detail: %s", last)
			for _, e := range srv.Logs.AllEntries() {
				if e.Data["component"] == "runner" || e.Data["component"] == "admin" {
					t.Logf("log: %s %v", e.Message, e.Data)
				}
			}
		}
	})
	eventually(t, 30*time.Second, "the retried action to succeed", func() bool {
		d = apiDetail{}
		_, last = apiGet(t, srv.URL+"/api/v1/deliveries/retry-1", &d)
		return d.Status == "succeeded"
	})
	a := d.Actions[0]
	if len(a.Attempts) != 2 || a.Attempts[0].Outcome != "failed" || a.Attempts[1].N != 2 || a.Attempts[1].Outcome != "succeeded" || calls.Load() != 2 {
		t.Fatalf("attempts: %+v, %d calls", a.Attempts, calls.Load())
	}
	if code, b := retry(); code != http.StatusConflict || b != `{"error":"action is succeeded; only a failed or cancelled action can be retried"}` {
		t.Fatalf("retry of a succeeded action: %d %s", code, b)
	}
}
