package actions

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/logfield"
)

func TestSetDispatch(t *testing.T) {
	s, _ := testSet(t, &config.Config{}, Deps{})
	tests := map[string]struct {
		job      *Job
		contains string
	}{
		"nil job":              {nil, "no job"},
		"unknown kind":         {&Job{Kind: "email"}, `unknown action kind "email"`},
		"jenkins without body": {&Job{Kind: "jenkins"}, "no jenkins fields"},
		"slack without body":   {&Job{Kind: "slack"}, "no slack fields"},
		"http without body":    {&Job{Kind: "http"}, "no http fields"},
		"log without body":     {&Job{Kind: "log"}, "no log fields"},
		"comment":              {&Job{Kind: "comment", Comment: &CommentJob{Body: "hi"}}, "needs GitHub App credentials"},
		"label":                {&Job{Kind: "label", Label: &LabelJob{Add: []string{"x"}}}, "needs GitHub App credentials"},
		"status":               {&Job{Kind: "status", Status: &StatusJob{State: "pending"}}, "needs GitHub App credentials"},
		"no jenkins server":    {jenkinsJob("a", nil), `no server named "main"`},
		"no slack connection":  {slackJob("main", "#ci", "hi", ""), `no connection named "main"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := s.Run(context.Background(), tc.job)
			wantOutcome(t, err, PermanentFailure)
			if !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("error %q does not say %q", err, tc.contains)
			}
		})
	}
}

func TestSetUnavailableAndKinds(t *testing.T) {
	s, _ := testSet(t, &config.Config{}, Deps{})
	want := map[string]string{
		"comment": "no GitHub App credentials",
		"label":   "no GitHub App credentials",
		"status":  "no GitHub App credentials",

		KindJenkinsReport: "no GitHub App credentials: builds are triggered, their results are not reported",
	}
	if got := s.Unavailable(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Unavailable() = %v, want %v", got, want)
	}
	s.Unavailable()["log"] = "changed by a caller"
	if _, ok := s.Unavailable()["log"]; ok {
		t.Fatal("Unavailable() hands out the Set's own map")
	}
	wantKinds := []string{"comment", "http", "jenkins", "label", "log", "slack", "status"}
	if got := s.Kinds(); !reflect.DeepEqual(got, wantKinds) {
		t.Fatalf("Kinds() = %v, want %v", got, wantKinds)
	}
}

func TestLogRunner(t *testing.T) {
	s, hook := testSet(t, &config.Config{}, Deps{})
	job := &Job{Delivery: "d-9", Event: "push", Rule: "release", Kind: "log", Log: &LogJob{Message: "release v1.2 by alice"}}
	res, err := s.Run(context.Background(), job)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Message == "" {
		t.Error("empty result message")
	}
	entries := hook.AllEntries()
	if len(entries) != 1 {
		t.Fatalf("%d log lines, want 1", len(entries))
	}
	e := entries[0]
	if e.Message != "release v1.2 by alice" || e.Level != logrus.InfoLevel {
		t.Errorf("entry = %q at %v", e.Message, e.Level)
	}
	for k, v := range map[string]string{logfield.Rule: "release", logfield.Kind: "log", logfield.Delivery: "d-9", logfield.Event: "push"} {
		if e.Data[k] != v {
			t.Errorf("field %s = %v, want %q", k, e.Data[k], v)
		}
	}
}

func TestNewRefusesUnusableConnections(t *testing.T) {
	const secret = "tok-do-not-print"
	tests := map[string]struct {
		cfg *config.Config
		key string
	}{
		"jenkins url not absolute":   {&config.Config{Jenkins: map[string]*config.JenkinsServer{"j": {URL: "jenkins.local", Token: secret}}}, "jenkins.j.url"},
		"jenkins url ftp":            {&config.Config{Jenkins: map[string]*config.JenkinsServer{"j": {URL: "ftp://h/", Token: secret}}}, "jenkins.j.url"},
		"jenkins url with password":  {&config.Config{Jenkins: map[string]*config.JenkinsServer{"j": {URL: "https://bot:" + secret + "@h/"}}}, "jenkins.j.url"},
		"jenkins token and password": {&config.Config{Jenkins: map[string]*config.JenkinsServer{"j": {URL: "https://h/", Token: secret, Password: secret}}}, "jenkins.j"},
		"slack neither":              {&config.Config{Slack: map[string]*config.SlackConnection{"s": {}}}, "slack.s"},
		"slack both":                 {&config.Config{Slack: map[string]*config.SlackConnection{"s": {Token: secret, WebhookURL: secret}}}, "slack.s"},
		"slack api_url":              {&config.Config{Slack: map[string]*config.SlackConnection{"s": {Token: secret, APIURL: "slack.com/api"}}}, "slack.s.api_url"},
		"slack webhook not a URL":    {&config.Config{Slack: map[string]*config.SlackConnection{"s": {WebhookURL: secret}}}, "slack.s.webhook_url"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.cfg, Deps{})
			var errs config.Errors
			if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Key != tc.key {
				t.Fatalf("New error %v, want one config error at %s", err, tc.key)
			}
			wantNoSecret(t, "error", err.Error(), secret)
		})
	}
}

func TestSetWithGitHubCredentials(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	gh, err := githubapp.New(githubapp.Options{AppID: 42, PrivateKey: pemKey})
	if err != nil {
		t.Fatalf("githubapp.New: %v", err)
	}
	s, _ := testSet(t, &config.Config{}, Deps{GitHub: gh})
	if got := s.Unavailable(); len(got) != 0 {
		t.Fatalf("Unavailable() = %v with App credentials, want none", got)
	}
	// An event without an installation cannot be acted on, ever.
	_, err = s.Run(context.Background(), &Job{Kind: "comment", Comment: &CommentJob{Body: "x"}})
	wantOutcome(t, err, PermanentFailure)
}

func TestJobFields(t *testing.T) {
	jenkins := &JenkinsJob{Job: "acme/app"}
	log := &LogJob{Message: "hi"}
	for name, tc := range map[string]struct {
		job     Job
		want    any
		wantErr string
	}{
		"jenkins":      {job: Job{Kind: "jenkins", Jenkins: jenkins}, want: jenkins},
		"log":          {job: Job{Kind: "log", Log: log}, want: log},
		"unknown kind": {job: Job{Kind: "fax"}, wantErr: `unknown action kind "fax"`},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := tc.job.Fields()
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
