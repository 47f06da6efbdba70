package actions

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

const (
	jenkinsUser     = "switchboard"
	jenkinsToken    = "11aa22bb33cc44dd55ee66ff77889900aa"
	jenkinsPassword = "correct horse battery staple"
)

func jenkinsConfig(url string, token, password config.Secret) *config.Config {
	return &config.Config{Jenkins: map[string]*config.JenkinsServer{
		"main": {URL: url, User: jenkinsUser, Token: token, Password: password},
	}}
}

func jenkinsJob(job string, params map[string]string) *Job {
	return &Job{Delivery: "d-1", Event: "push", Rule: "build", Kind: "jenkins",
		Jenkins: &JenkinsJob{Server: "main", Job: job, Parameters: params}}
}

func TestJenkinsTriggerWithParametersInFolders(t *testing.T) {
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: jenkinsToken})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), jenkinsToken, ""), Deps{})

	params := map[string]string{"GIT_SHA": "0123abc", "BRANCH": "release/1.x & more", DeliveryParameter: "d-1"}
	res, err := run(t, s, context.Background(), jenkinsJob("acme/my repo/main", params))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := fj.Triggers()
	if len(got) != 1 {
		t.Fatalf("%d builds triggered, want 1", len(got))
	}
	if got[0].Job != "acme/my repo/main" || got[0].Auth != "token" {
		t.Errorf("trigger = %+v, want job acme/my repo/main by token", got[0])
	}
	for k, v := range params {
		if got[0].Parameters[k] != v {
			t.Errorf("parameter %s = %q, want %q", k, got[0].Parameters[k], v)
		}
	}
	if want := fj.URL() + "queue/item/1/"; res.Detail != want {
		t.Errorf("Detail = %q, want the queue item URL %q", res.Detail, want)
	}
}

func TestJenkinsTriggerWithoutParameters(t *testing.T) {
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: jenkinsToken,
		Jobs: map[string]fakejenkins.Job{"plain": {}}})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), jenkinsToken, ""), Deps{})

	res, err := run(t, s, context.Background(), jenkinsJob("plain", nil))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := fj.Triggers(); len(got) != 1 || got[0].Job != "plain" || len(got[0].Parameters) != 0 {
		t.Fatalf("triggers = %+v, want one build of plain without parameters", got)
	}
	if !strings.HasSuffix(res.Detail, "/queue/item/1/") {
		t.Errorf("Detail = %q, want a queue item URL", res.Detail)
	}

	// buildWithParameters on a job without parameters: Jenkins answers 400.
	_, err = run(t, s, context.Background(), jenkinsJob("plain", map[string]string{"X": "1"}))
	wantOutcome(t, err, PermanentFailure)
	if !strings.Contains(err.Error(), "not parameterized") {
		t.Errorf("error %q does not carry Jenkins' message", err)
	}
}

func TestJenkinsPasswordUsesCrumbWithSessionCookie(t *testing.T) {
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Password: jenkinsPassword, CSRF: true})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), "", jenkinsPassword), Deps{})

	for i := 0; i < 2; i++ { // each run gets its own session and crumb
		if _, err := run(t, s, context.Background(), jenkinsJob("a/b", map[string]string{"N": "1"})); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if got := fj.Triggers(); len(got) != 2 || got[0].Auth != "password" {
		t.Fatalf("triggers = %+v, want two builds by password", got)
	}
}

func TestJenkinsPasswordWithCSRFOff(t *testing.T) {
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Password: jenkinsPassword, CSRF: false})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), "", jenkinsPassword), Deps{})

	// The crumb issuer answers 404: no crumb needed.
	if _, err := run(t, s, context.Background(), jenkinsJob("a", nil)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := fj.Triggers(); len(got) != 1 {
		t.Fatalf("%d builds, want 1", len(got))
	}
}

func TestJenkinsCrumbIsRequiredForPasswords(t *testing.T) {
	// Without the crumb, the fake answers as Jenkins does.
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Password: jenkinsPassword, CSRF: true})
	defer fj.Close()
	req, _ := http.NewRequest(http.MethodPost, fj.URL()+"job/a/build", nil)
	req.SetBasicAuth(jenkinsUser, jenkinsPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	herr := newHTTPError("jenkins", resp, time.Now(), nil)
	resp.Body.Close()
	if herr.Status != http.StatusForbidden || !strings.Contains(herr.Body, "No valid crumb was included in the request") {
		t.Fatalf("without a crumb: %v, want 403 No valid crumb", herr)
	}
	if len(fj.Triggers()) != 0 {
		t.Fatal("a build was queued without a crumb")
	}
}

func TestJenkinsRefusals(t *testing.T) {
	tests := map[string]struct {
		token    config.Secret
		user     string
		job      string
		status   int
		contains string
	}{
		"no credentials":     {token: "", user: "", job: "a", status: 403, contains: "Authentication required"},
		"wrong token":        {token: "not-the-token", user: jenkinsUser, job: "a", status: 401, contains: "Invalid password/token for user: switchboard"},
		"job does not exist": {token: jenkinsToken, user: jenkinsUser, job: "nope", status: 404, contains: "Not Found"},
	}
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: jenkinsToken,
		Jobs: map[string]fakejenkins.Job{"a": {}}})
	defer fj.Close()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := jenkinsConfig(fj.URL(), tc.token, "")
			cfg.Jenkins["main"].User = tc.user
			s, _ := testSet(t, cfg, Deps{})
			_, err := run(t, s, context.Background(), jenkinsJob(tc.job, nil))
			wantOutcome(t, err, PermanentFailure)
			var herr *HTTPError
			if !errors.As(err, &herr) || herr.Status != tc.status || !strings.Contains(herr.Body, tc.contains) {
				t.Fatalf("error %v, want HTTP %d with %q", err, tc.status, tc.contains)
			}
			wantNoSecret(t, "error", err.Error(), jenkinsToken, string(tc.token))
		})
	}
	if n := len(fj.Triggers()); n != 0 {
		t.Fatalf("%d builds queued by refused requests", n)
	}
}

func TestJenkinsUnavailableIsRetried(t *testing.T) {
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: jenkinsToken})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), jenkinsToken, ""), Deps{})

	fj.SetUnavailable(true)
	_, err := run(t, s, context.Background(), jenkinsJob("a", nil))
	v := wantOutcome(t, err, Retry)
	if v.MayHaveActed {
		t.Error("a 503 answer marked as possibly acted on")
	}
	fj.SetUnavailable(false)
	if _, err := run(t, s, context.Background(), jenkinsJob("a", nil)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if n := len(fj.Triggers()); n != 1 {
		t.Fatalf("%d builds, want 1", n)
	}
}

func TestJenkinsJobPathRefusedWithoutRequest(t *testing.T) {
	tests := map[string]string{
		"dot dot":            "acme/../admin",
		"leading dot dot":    "../a",
		"dot":                "a/./b",
		"empty segment":      "a//b",
		"trailing slash":     "a/b/",
		"leading slash":      "/a",
		"empty":              "",
		"only dot dot":       "..",
		"dot dot at the end": "a/..",
	}
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: jenkinsToken})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), jenkinsToken, ""), Deps{})
	for name, job := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, s, context.Background(), jenkinsJob(job, nil))
			wantOutcome(t, err, PermanentFailure)
			if _, perr := JenkinsJobPath(job); perr == nil {
				t.Errorf("JenkinsJobPath(%q) accepted it", job)
			}
		})
	}
	if n := fj.Requests(); n != 0 {
		t.Fatalf("Jenkins saw %d requests, want none", n)
	}
}

func TestJenkinsJobPath(t *testing.T) {
	tests := map[string]struct{ job, want string }{
		"one segment":       {"build", "/job/build/"},
		"folders":           {"a/b/c", "/job/a/job/b/job/c/"},
		"space":             {"my job", "/job/my%20job/"},
		"query characters":  {"a?b#c", "/job/a%3Fb%23c/"},
		"percent":           {"100%", "/job/100%25/"},
		"dots inside names": {"a..b/.x", "/job/a..b/job/.x/"},
		"unicode":           {"café", "/job/caf%C3%A9/"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := JenkinsJobPath(tc.job)
			if err != nil || got != tc.want {
				t.Fatalf("JenkinsJobPath(%q) = %q, %v; want %q", tc.job, got, err, tc.want)
			}
		})
	}
}

func TestJenkinsRedirectIsNotFollowed(t *testing.T) {
	var posts, gets int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts++
		} else {
			gets++
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	s, _ := testSet(t, jenkinsConfig(srv.URL, jenkinsToken, ""), Deps{})
	_, err := run(t, s, context.Background(), jenkinsJob("a", nil))
	wantOutcome(t, err, PermanentFailure)
	if posts != 1 || gets != 0 {
		t.Fatalf("posts %d, gets %d: want the one POST and no redirect followed", posts, gets)
	}
}

// hangUp answers every request by reading it whole and closing the
// connection: the request reached the server, no answer came back.
func hangUp(t *testing.T) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = r.Body.Read(make([]byte, 1024))
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}))
}

func TestJenkinsUnconfirmedTrigger(t *testing.T) {
	srv := hangUp(t)
	defer srv.Close()
	s, _ := testSet(t, jenkinsConfig(srv.URL, jenkinsToken, ""), Deps{})

	t.Run("with a delivery parameter: retried, and checked first", func(t *testing.T) {
		_, err := run(t, s, context.Background(), jenkinsJob("a", map[string]string{DeliveryParameter: "d-1"}))
		v := wantOutcome(t, err, Retry)
		if !v.MayHaveActed {
			t.Fatalf("verdict %+v: want MayHaveActed", v)
		}
	})
	t.Run("without one: permanent", func(t *testing.T) {
		_, err := run(t, s, context.Background(), jenkinsJob("a", map[string]string{"X": "1"}))
		wantOutcome(t, err, PermanentFailure)
		if !strings.Contains(err.Error(), DeliveryParameter) {
			t.Errorf("error %q does not say how to make retries safe", err)
		}
	})
}

// A gateway's 502 or 504 (or Jenkins' own 500) may come after the build was
// queued: it is checked before a retry, or not retried without a delivery
// parameter; a 503 is refused up front and retried plainly.
func TestJenkinsGatewayAnswersAreUnconfirmed(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "upstream timed out", status)
			}))
			defer srv.Close()
			s, _ := testSet(t, jenkinsConfig(srv.URL, jenkinsToken, ""), Deps{})

			_, err := run(t, s, context.Background(), jenkinsJob("a", map[string]string{DeliveryParameter: "d-1"}))
			if v := wantOutcome(t, err, Retry); !v.MayHaveActed {
				t.Errorf("with a delivery parameter: verdict %+v, want a retry that checks first", v)
			}
			_, err = run(t, s, context.Background(), jenkinsJob("a", map[string]string{"X": "1"}))
			wantOutcome(t, err, PermanentFailure)
			if !strings.Contains(err.Error(), "may have queued a build") || !strings.Contains(err.Error(), DeliveryParameter) {
				t.Errorf("without one: error %q does not say why it is not retried", err)
			}
		})
	}
}

func TestJenkinsUnreachableIsRetriedPlainly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	s, _ := testSet(t, jenkinsConfig("http://"+addr+"/", jenkinsToken, ""), Deps{})
	_, err = run(t, s, context.Background(), jenkinsJob("a", nil))
	v := wantOutcome(t, err, Retry)
	if v.MayHaveActed {
		t.Fatalf("a refused connection marked as possibly acted on: %+v", v)
	}
}

func TestJenkinsInterruptedRunChecksBeforeTriggering(t *testing.T) {
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: jenkinsToken, QueueSteps: 0})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), jenkinsToken, ""), Deps{})
	job := jenkinsJob("acme/app", map[string]string{DeliveryParameter: "d-1", "SHA": "abc"})
	interrupted := WithInterrupted(context.Background())

	// Nothing queued yet: the interrupted run triggers.
	first, err := run(t, s, interrupted, job)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	// Queued: a second interrupted run finds the queue item.
	again, err := run(t, s, interrupted, job)
	if err != nil {
		t.Fatalf("run while queued: %v", err)
	}
	if again.Detail != first.Detail {
		t.Errorf("found %q, want the queue item %q", again.Detail, first.Detail)
	}
	// Started: it finds the build.
	req, _ := http.NewRequest(http.MethodGet, first.Detail+"api/json", nil)
	req.SetBasicAuth(jenkinsUser, jenkinsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("polling the queue item: %v %v", resp, err)
	}
	resp.Body.Close()
	started, err := run(t, s, interrupted, job)
	if err != nil {
		t.Fatalf("run after the build started: %v", err)
	}
	if want := fj.URL() + "job/acme/job/app/1/"; started.Detail != want {
		t.Errorf("found %q, want the build %q", started.Detail, want)
	}
	// Another delivery's build is not this one's.
	other := jenkinsJob("acme/app", map[string]string{DeliveryParameter: "d-2"})
	other.Delivery = "d-2"
	if _, err := run(t, s, interrupted, other); err != nil {
		t.Fatalf("other delivery: %v", err)
	}
	if n := len(fj.Triggers()); n != 2 {
		t.Fatalf("%d builds triggered, want 2 (one per delivery)", n)
	}
}

func TestJenkinsInterruptedWithoutDeliveryParameterDoesNotTrigger(t *testing.T) {
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: jenkinsToken})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), jenkinsToken, ""), Deps{})
	_, err := run(t, s, WithInterrupted(context.Background()), jenkinsJob("a", map[string]string{"SHA": "abc"}))
	wantOutcome(t, err, PermanentFailure)
	if n := fj.Requests(); n != 0 {
		t.Fatalf("Jenkins saw %d requests, want none", n)
	}
}

func TestJenkinsInterruptedCheckFailureStaysUnconfirmed(t *testing.T) {
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: jenkinsToken})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), jenkinsToken, ""), Deps{})
	fj.SetUnavailable(true)
	_, err := run(t, s, WithInterrupted(context.Background()), jenkinsJob("a", map[string]string{DeliveryParameter: "d-1"}))
	if v := wantOutcome(t, err, Retry); !v.MayHaveActed {
		t.Fatalf("verdict %+v: the next attempt must check again", v)
	}
	if n := len(fj.Triggers()); n != 0 {
		t.Fatalf("%d builds triggered while the check failed", n)
	}
}

func TestJenkinsServerSelection(t *testing.T) {
	fj := fakejenkins.New(fakejenkins.Options{User: jenkinsUser, Token: jenkinsToken})
	defer fj.Close()
	s, _ := testSet(t, jenkinsConfig(fj.URL(), jenkinsToken, ""), Deps{})

	job := jenkinsJob("a", nil)
	job.Jenkins.Server = "" // the only server
	if _, err := run(t, s, context.Background(), job); err != nil {
		t.Fatalf("default server: %v", err)
	}
	job.Jenkins.Server = "other"
	_, err := run(t, s, context.Background(), job)
	wantOutcome(t, err, PermanentFailure)
}
