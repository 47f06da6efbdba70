package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// detailJSON is an answer of GET /api/v1/deliveries/{id} as docs/api.md
// gives it: one rule failed, a Jenkins action that built, and an http
// action waiting to retry.
const detailJSON = `{"id":"d1","event":"pull_request","action":"opened","repo":"acme/widgets","sender":"octocat",
"received_at":"2026-12-06T11:58:00Z","status":"running","replay_of":"","rules_matched":1,
"actions_count":{"queued":0,"running":0,"retrying":1,"succeeded":1,"failed":0,"cancelled":0},
"processed_at":"2026-12-06T11:58:01Z","process_error":"",
"headers":{"event":"pull_request","delivery":"d1","hook_id":"123456","user_agent":"GitHub-Hookshot/044aadd"},
"payload":{"action":"opened","pull_request":{"html_url":"https://github.com/acme/widgets/pull/42","title":"x"}},
"rules":[{"name":"pr-checks","matched":false,"conditions":[{"condition":"on","ok":true,"detail":"event is pull_request.opened; wanted pull_request.opened"},{"condition":"base","ok":false,"detail":"base branch is develop; wanted main"}]}],
"actions":[
 {"id":"3f2a9c0d1e4b5a6c7d8e","rule":"build","kind":"jenkins","index":0,"state":"succeeded","params":{"job":"acme/widgets/pr"},
  "attempts":[{"n":1,"started_at":"2026-12-06T11:58:01Z","duration_ms":84,"outcome":"succeeded","error":""}],"next_attempt_at":null,
  "links":{"jenkins_build":"https://jenkins.example.com/job/acme/job/widgets/job/pr/12/","commit":"https://github.com/acme/widgets/commit/6dcb09b5"}},
 {"id":"4f2a9c0d1e4b5a6c7d8f","rule":"build","kind":"http","index":1,"state":"retrying","params":{"url":"https://deploy.example.com/","secret":"<secret>"},
  "attempts":[{"n":1,"started_at":"2026-12-06T11:58:01Z","duration_ms":0,"outcome":"retrying","error":"http: HTTP 503 Service Unavailable"}],
  "next_attempt_at":"2026-12-06T12:00:30Z","links":{}}]}`

// TestDeliveryPageShowsEachPart renders a delivery's page from an API
// answer with a clock fixed at 12:00.
func TestDeliveryPageShowsEachPart(t *testing.T) {
	const token = "admin-token-0123456789"
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token || r.URL.Path != "/api/v1/deliveries/d1" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		io.WriteString(w, detailJSON)
	})
	rec := signedIn(t, token, api).get("/ui/deliveries/d1")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d\n%s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for name, want := range map[string]string{
		"title and status":   `pull_request.opened <span class="badge run"><span aria-hidden="true">⟳</span> running</span>`,
		"received":           `<time datetime="2026-12-06T11:58:00Z" title="2026-12-06 11:58:00 UTC">2m ago</time>`,
		"failed rule":        `<span aria-hidden="true">✗</span> did not match</span> <code>pr-checks</code> <small>(failed at <strong>base</strong>)</small>`,
		"failed condition":   `<li class="cond-failed"><span class="mark"><span aria-hidden="true">✗</span> FAILED</span> <code>base</code> <span class="detail">base branch is develop; wanted main</span></li>`,
		"held condition":     `<li class="cond-ok"><span class="mark"><span aria-hidden="true">✓</span> ok</span> <code>on</code>`,
		"Jenkins build link": `<a href="https://jenkins.example.com/job/acme/job/widgets/job/pr/12/" rel="noopener noreferrer" target="_blank">Jenkins build ↗</a>`,
		"GitHub commit link": `<a href="https://github.com/acme/widgets/commit/6dcb09b5" rel="noopener noreferrer" target="_blank">GitHub commit ↗</a>`,
		"pull request link":  `<a href="https://github.com/acme/widgets/pull/42" rel="noopener noreferrer" target="_blank">Pull request on GitHub ↗</a>`,
		"next retry":         `Next attempt <time datetime="2026-12-06T12:00:30Z" title="2026-12-06 12:00:30 UTC">in 30s</time>.`,
		"secret":             `&#34;secret&#34;: &#34;&lt;secret&gt;&#34;`,
		"attempt error":      `<td data-label="Error" class="error">http: HTTP 503 Service Unavailable</td>`,
		"attempt under 1 ms": `<td data-label="Took">&lt;1ms</td>`,
		"attempt duration":   `<td data-label="Took">84ms</td>`,
		"hook id":            `<dt>hook_id</dt><dd class="id">123456</dd>`,
		"still live":         `<div id="refresh" data-live="d1">`,
		"replay button":      `<form method="post" action="/ui/deliveries/d1/replay" class="inline">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("%s: page lacks %s", name, want)
		}
	}
	if strings.Contains(body, "/retry") {
		t.Error("a Retry button for actions that neither failed nor were cancelled")
	}
}

// TestClosedWhileNoToken: with no admin token every path is a 404, the
// login form included.
func TestClosedWhileNoToken(t *testing.T) {
	u, err := New(Options{Token: func() string { return "" }, API: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/ui/", nil),
		httptest.NewRequest(http.MethodGet, "/ui/login", nil),
		httptest.NewRequest(http.MethodPost, "/ui/login", strings.NewReader("token=")),
		httptest.NewRequest(http.MethodGet, "/ui/static/app.js", nil),
	} {
		rec := httptest.NewRecorder()
		u.ServeHTTP(rec, r)
		if rec.Code != http.StatusNotFound || rec.Body.String() != `{"error":"not found"}` || rec.Header().Get("Set-Cookie") != "" {
			t.Errorf("%s %s: %d %q", r.Method, r.URL.Path, rec.Code, rec.Body)
		}
	}
}

// TestStoreUnavailable: when the admin API answers as it does with its
// store gone (503 {"error":"store unavailable"}, admin.TestStoreUnavailable),
// every page says so with the same status, and the list's refresh gets the
// message as text; nothing of the cause shows.
func TestStoreUnavailable(t *testing.T) {
	const token = "admin-token-0123456789"
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":"store unavailable"}`)
	})
	s := signedIn(t, token, api)
	for path, want := range map[string]string{
		"/ui/":              "<p>store unavailable</p>",
		"/ui/deliveries/d1": "<p>store unavailable</p>",
		"/ui/rows":          "store unavailable\n",
	} {
		rec := s.get(path)
		body := rec.Body.String()
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want 503 with %q:\n%s", path, rec.Code, want, body)
		}
	}
}

// uiSession is a UI over api, its clock at 12:00, and a signed-in cookie.
type uiSession struct {
	u      *UI
	cookie string
}

func signedIn(t *testing.T, token string, api http.Handler) uiSession {
	t.Helper()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	u, err := New(Options{Token: func() string { return token }, API: api, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	cookie, err := newKeys(token).newSession(now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return uiSession{u: u, cookie: cookie}
}

// get answers a signed-in GET of path.
func (s uiSession) get(path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: s.cookie})
	rec := httptest.NewRecorder()
	s.u.ServeHTTP(rec, req)
	return rec
}
