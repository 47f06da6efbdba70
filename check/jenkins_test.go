package check

import (
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

const jenkinsRules = `rules:
  - name: pr
    on: [pull_request.opened]
    do:
      - jenkins: {job: acme/widgets/pr, parameters: {PR: "{{ .PullRequest.Number }}"}}
      - jenkins: {job: "acme/{{ .Repository.Name }}/main"}
  - name: release
    on: [push]
    do:
      - jenkins: {job: deploy}
`

func TestJenkins(t *testing.T) {
	jobs := map[string]fakejenkins.Job{"acme/widgets/pr": {Parameters: []string{"PR", "GIT_SHA"}}, "deploy": {}}
	server := func(url, cred string) string {
		return "jenkins:\n  main:\n    url: " + url + "\n    user: switchboard\n    " + cred + "\n"
	}
	tests := map[string]struct {
		opts        fakejenkins.Options
		cred        string
		rules       string
		unavailable bool
		url         string // instead of the fake's
		want        string
	}{
		"api token": {
			opts: fakejenkins.Options{User: "switchboard", Token: "t0ken-value", CSRF: true, Jobs: jobs}, cred: "token: t0ken-value", rules: jenkinsRules,
			want: "jenkins main: OK authenticated as switchboard with an API token; no crumb needed; jobs acme/widgets/pr, deploy found; 1 templated job not checked",
		},
		"password and crumb": {
			opts: fakejenkins.Options{User: "switchboard", Password: "pa55word", CSRF: true, Jobs: jobs}, cred: "password: pa55word", rules: jenkinsRules,
			want: "jenkins main: OK authenticated as switchboard with a password; crumb issued; jobs acme/widgets/pr, deploy found; 1 templated job not checked",
		},
		"password, CSRF off": {
			opts: fakejenkins.Options{User: "switchboard", Password: "pa55word", Jobs: jobs}, cred: "password: pa55word",
			want: "jenkins main: OK authenticated as switchboard with a password; no crumb needed (CSRF protection off)",
		},
		"wrong token": {
			opts: fakejenkins.Options{User: "switchboard", Token: "right-one", Jobs: jobs}, cred: "token: t0ken-value", rules: jenkinsRules,
			want: "jenkins main: FAIL authentication: HTTP 401 (Invalid password/token for user: switchboard): jenkins.main.user or its API token is wrong",
		},
		"wrong password": {
			opts: fakejenkins.Options{User: "switchboard", Password: "right-one", Jobs: jobs}, cred: "password: pa55word",
			want: "jenkins main: FAIL authentication: HTTP 401 (Invalid password/token for user: switchboard): jenkins.main.user or its password is wrong",
		},
		"jobs wrong": {
			opts: fakejenkins.Options{User: "switchboard", Token: "t0ken-value", Jobs: map[string]fakejenkins.Job{"acme/widgets/pr": {Parameters: []string{"GIT_SHA"}}, "deploy": {}}},
			cred: "token: t0ken-value",
			rules: jenkinsRules + `  - name: nightly
    on: [push]
    do:
      - jenkins: {job: acme/missing}
      - jenkins: {job: deploy, parameters: {ENV: prod}}
`,
			want: "jenkins main: FAIL job acme/missing: not found (HTTP 404), named by rule nightly; " +
				"job acme/widgets/pr: does not declare PR, passed by rule pr: Jenkins drops undeclared parameters; " +
				"job deploy: takes no parameters, but rule nightly passes ENV: the trigger would answer 400",
		},
		"restarting": {
			opts: fakejenkins.Options{User: "switchboard", Token: "t0ken-value"}, cred: "token: t0ken-value", unavailable: true,
			want: "jenkins main: FAIL GET whoAmI/api/json: HTTP 503 (Service Unavailable)",
		},
		"unreachable": {
			cred: "token: t0ken-value", url: "http://127.0.0.1:1/",
			want: "jenkins main: FAIL GET whoAmI/api/json: dial tcp 127.0.0.1:1: connect: connection refused",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			url := tc.url
			if url == "" {
				j := fakejenkins.New(tc.opts)
				defer j.Close()
				j.SetUnavailable(tc.unavailable)
				url = j.URL()
			}
			got := line(t, load(t, server(url, tc.cred)+tc.rules, nil), "jenkins main")
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			for _, secret := range []string{"t0ken-value", "pa55word"} {
				if strings.Contains(got, secret) {
					t.Errorf("a secret shows: %s", got)
				}
			}
		})
	}
}
