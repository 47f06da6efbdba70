package actions

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
)

// TestNoSecretInErrorsOrLogs points every runner at a server that echoes
// the whole request (URL, headers, body) back in an error answer, and checks
// that no secret, nor the Basic-auth form of one, reaches an error or a log
// line.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "%s %s\n%v\n%s", r.Method, r.URL.String(), r.Header, b)
	}))
	defer echo.Close()

	const (
		jToken   = "jenkins-token-5f2a9c"
		jPass    = "jenkins-password-77b1"
		sToken   = "xoxb-slack-token-9911"
		hookPath = "/services/T1/B2/hooksecret33aa"
		hSecret  = "http-signing-secret-ab12"
	)
	secrets := []string{
		jToken, jPass, sToken, hookPath, hSecret,
		base64.StdEncoding.EncodeToString([]byte("bot:" + jToken)),
		base64.StdEncoding.EncodeToString([]byte("bot:" + jPass)),
	}
	cfg := &config.Config{
		Jenkins: map[string]*config.JenkinsServer{
			"tok":  {URL: echo.URL, User: "bot", Token: jToken},
			"pass": {URL: echo.URL, User: "bot", Password: jPass},
		},
		Slack: map[string]*config.SlackConnection{
			"api":  {Token: sToken, APIURL: echo.URL + "/api/"},
			"hook": {WebhookURL: config.Secret(echo.URL + hookPath)},
		},
		Rules: httpConfig(hSecret).Rules,
	}
	s, hook := testSet(t, cfg, Deps{})
	body := `{"secret":"not really"}`
	jobs := map[string]*Job{
		"jenkins token":    {Delivery: "d", Rule: "r", Kind: "jenkins", Jenkins: &JenkinsJob{Server: "tok", Job: "a", Parameters: map[string]string{"P": "1"}}},
		"jenkins password": {Delivery: "d", Rule: "r", Kind: "jenkins", Jenkins: &JenkinsJob{Server: "pass", Job: "a"}},
		"slack api":        {Delivery: "d", Rule: "r", Kind: "slack", Slack: &SlackJob{Connection: "api", Channel: "#c", Text: "hi"}},
		"slack webhook":    {Delivery: "d", Rule: "r", Kind: "slack", Slack: &SlackJob{Connection: "hook", Text: "hi"}},
		"http":             httpJob(echo.URL+"/x", &body, true),
		"log":              {Delivery: "d", Rule: "r", Kind: "log", Log: &LogJob{Message: "hello"}},
	}
	failures := 0
	for name, job := range jobs {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, s, context.Background(), job)
			if err != nil {
				failures++
				wantNoSecret(t, "error", err.Error(), secrets...)
				wantNoSecret(t, "error (%+v)", fmt.Sprintf("%+v %#v", err, err), secrets...)
			}
		})
	}
	if failures != len(jobs)-1 {
		t.Fatalf("%d runs failed, want every run but the log one to fail against the echo server", failures)
	}
	for _, e := range hook.AllEntries() {
		line, err := e.String()
		if err != nil {
			t.Fatal(err)
		}
		wantNoSecret(t, "log line", line, secrets...)
	}
	// The config itself prints no secret either.
	wantNoSecret(t, "config", fmt.Sprintf("%+v %#v", *cfg.Jenkins["tok"], *cfg.Slack["hook"]), secrets...)
}

// TestNoGitHubCredentialInErrors puts a proxy in front of the fake GitHub
// that answers the installation's calls with the Authorization header (its
// token) in GitHub's message field, and answers the token exchange with the
// App JWT the same way. Neither may reach an error.
func TestNoGitHubCredentialInErrors(t *testing.T) {
	e := newGHEnv(t, nil, Deps{})
	target, err := url.Parse(e.fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	var echoJWT atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(target)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		exchange := strings.HasSuffix(r.URL.Path, "/access_tokens")
		if exchange && !echoJWT.Load() {
			proxy.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": "upstream said: " + r.Header.Get("Authorization")})
	}))
	defer echo.Close()

	for _, jwt := range []bool{false, true} {
		echoJWT.Store(jwt)
		creator, err := githubapp.New(githubapp.Options{AppID: ghAppID, PrivateKey: e.key.PEM, BaseURL: echo.URL + "/"})
		if err != nil {
			t.Fatal(err)
		}
		set, hook := testSet(t, &config.Config{}, Deps{GitHub: creator})
		for _, job := range []*Job{statusJob(StatusJob{State: "success"}), commentJob("hi"), labelJob([]string{"a"}, nil)} {
			_, err := run(t, set, context.Background(), job)
			wantOutcome(t, err, Retry)
			if !strings.Contains(err.Error(), "upstream said") {
				t.Fatalf("error %q lost the service's message", err)
			}
			assertNoCredential(t, err.Error(), e)
			assertNoCredential(t, fmt.Sprintf("%+v %#v", err, err), e)
		}
		for _, entry := range hook.AllEntries() {
			line, _ := entry.String()
			assertNoCredential(t, line, e)
		}
	}
	if len(e.fake.TokenExchanges()) == 0 {
		t.Fatal("no token was issued: the installation calls never carried one")
	}
}
