package actions

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchboard-dev/switchboard/config"
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
