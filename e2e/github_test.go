package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

const githubAppID = 424242

const githubConfig = `
server: {addr: "127.0.0.1:0"}
github:
  app_id: 424242
  private_key: "${GITHUB_PRIVATE_KEY}"
  webhook_secret: "${GITHUB_WEBHOOK_SECRET}"
  api_url: "${GITHUB_API}"
store: {driver: sqlite, dsn: $TMP/switchboard.db}
retry: {max_attempts: 10, initial_backoff: 50ms, max_backoff: 1s}
jenkins:
  main: {url: "${JENKINS_URL}", user: switchboard, token: "${JENKINS_TOKEN}"}
rules:
  - name: pr-checks
    on: [pull_request.opened]
    if: {base: master, draft: false}
    do:
      - jenkins:
          job: "acme/{{ .Repository.Name }}/pr"
          parameters:
            PR: "{{ .PullRequest.Number }}"
            GIT_SHA: "{{ .SHA }}"
            SWITCHBOARD_DELIVERY: "{{ .Delivery }}"
          report: true
      - comment: "Build queued for {{ .ShortSHA }}."
      - label: {add: [ci-queued], remove: [ci-passed, not-there]}
`

// prRun is one pull_request.opened delivery, on a repository of its own so
// that its Jenkins job can be told how to end.
type prRun struct {
	delivery, repo string
	setup          func(*fakejenkins.Server, string) // job path
	wantState      string                            // final commit status
	wantDesc       string
	wantBuild      bool // the final status points at the build (else the job)
	wantStates     []string
}

// TestPullRequestBuildsAndReportsBack delivers the example pull_request
// opened event, for three repositories, to the running server, which acts
// as a GitHub App on a fake GitHub and builds on a fake Jenkins: one build
// per delivery with the rendered parameters, its result reported on the
// head SHA (success; a FAILURE build as failure; a build cancelled in the
// queue as error), one comment each, labels added and removed; the comment
// of the first meets a rate limit and waits for the stated reset.
func TestPullRequestBuildsAndReportsBack(t *testing.T) {
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := fakegithub.New(fakegithub.Options{AppID: githubAppID, PublicKey: key.PublicKey()})
	defer gh.Close()
	const jenkinsToken = "e2e-jenkins-api-token-51c2"
	jenkins := fakejenkins.New(fakejenkins.Options{User: "switchboard", Token: jenkinsToken, BuildSteps: 1})
	defer jenkins.Close()

	runs := []prRun{
		{delivery: "pr-ok", repo: "Hello-World", wantState: "success", wantDesc: "#1 succeeded", wantBuild: true,
			wantStates: []string{"pending", "pending", "success"}},
		{delivery: "pr-fail", repo: "Hello-Fail", wantState: "failure", wantDesc: "#1 failed", wantBuild: true,
			wantStates: []string{"pending", "pending", "failure"},
			setup:      func(j *fakejenkins.Server, job string) { j.SetResult(job, fakejenkins.Failure) }},
		{delivery: "pr-cancel", repo: "Hello-Cancel", wantState: "error", wantDesc: "cancelled in the Jenkins queue",
			wantStates: []string{"pending", "error"},
			setup:      func(j *fakejenkins.Server, job string) { j.SetCancelInQueue(job, true) }},
	}
	for _, r := range runs {
		if r.setup != nil {
			r.setup(jenkins, "acme/"+r.repo+"/pr")
		}
		gh.SetLabels("Codertocat", r.repo, 2, []string{"bug", "ci-passed"})
	}
	srv := startServer(t, githubConfig, map[string]string{
		"GITHUB_PRIVATE_KEY": string(key.PEM), "GITHUB_API": gh.URL(),
		"JENKINS_URL": jenkins.URL(), "JENKINS_TOKEN": jenkinsToken,
	})

	// The first comment is refused by the primary rate limit; GitHub says
	// when it resets (whole seconds). Armed once the server is up, so that a
	// slow start cannot use up the wait before the comment is even posted.
	reset := time.Unix(time.Now().Add(3*time.Second).Unix(), 0)
	commentsOK := "POST /repos/Codertocat/Hello-World/issues/2/comments"
	gh.RateLimit(commentsOK, 1, http.StatusForbidden, reset)

	var head string
	for _, r := range runs {
		body := payload(t, "pull_request.opened.json", func(m map[string]any) {
			repo := m["repository"].(map[string]any)
			repo["name"], repo["full_name"] = r.repo, "Codertocat/"+r.repo
			head = m["pull_request"].(map[string]any)["head"].(map[string]any)["sha"].(string)
		})
		a := send(t, srv.URL+"/webhook", delivery{event: "pull_request", id: r.delivery, body: body})
		if a.status != http.StatusAccepted {
			t.Fatalf("delivery %s: %d %s", r.delivery, a.status, a.body)
		}
	}

	// Wait for every final status, comment and label change.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	finished := func() bool {
		for _, r := range runs {
			st := gh.Statuses("Codertocat", r.repo, head)
			if len(st) == 0 || st[len(st)-1].State == "pending" || len(gh.Comments("Codertocat", r.repo, 2)) == 0 {
				return false
			}
		}
		return true
	}
	if err := gh.Wait(ctx, finished); err != nil {
		t.Fatalf("not every run was reported: %v; requests %+v", err, gh.Requests())
	}
	eventually(t, 30*time.Second, "every comment and label action to succeed", func() bool {
		return metric(t, srv.URL, "switchboard_action_attempts_total", map[string]string{"kind": "comment", "outcome": "succeeded"}) == 3 &&
			metric(t, srv.URL, "switchboard_action_attempts_total", map[string]string{"kind": "label", "outcome": "succeeded"}) == 3
	})

	// One installation token, for installation 1 of the payload, obtained
	// with a JWT issued by the App.
	ex := gh.TokenExchanges()
	if len(ex) != 1 || ex[0].Installation != 1 || ex[0].Issuer != strconv.Itoa(githubAppID) {
		t.Fatalf("token exchanges = %+v, want one for installation 1 with a JWT issued by %d", ex, githubAppID)
	}

	triggers := jenkins.Triggers()
	if len(triggers) != len(runs) {
		t.Fatalf("%d builds, want %d (one per delivery): %+v", len(triggers), len(runs), triggers)
	}
	byJob := map[string]fakejenkins.Trigger{}
	for _, b := range triggers {
		byJob[b.Job] = b
	}
	for _, r := range runs {
		t.Run(r.repo, func(t *testing.T) {
			job := "acme/" + r.repo + "/pr"
			b, ok := byJob[job]
			want := map[string]string{"PR": "2", "GIT_SHA": head, "SWITCHBOARD_DELIVERY": r.delivery}
			if !ok || fmt.Sprint(b.Parameters) != fmt.Sprint(want) || b.Auth != "token" {
				t.Errorf("build of %s = %+v, want parameters %v by token", job, b, want)
			}

			jobURL := jenkins.URL() + "job/acme/job/" + r.repo + "/job/pr/"
			target := jobURL
			if r.wantBuild {
				target = jobURL + "1/"
			}
			st := gh.Statuses("Codertocat", r.repo, head)
			var states []string
			for _, s := range st {
				states = append(states, s.State)
				if s.Context != "jenkins/"+job {
					t.Errorf("status context %q, want jenkins/%s", s.Context, job)
				}
			}
			// A "running" pending is left out when the build is over before
			// it could be set (here: while the installation was rate limited).
			if got := strings.Join(states, ","); got != strings.Join(r.wantStates, ",") && got != "pending,"+r.wantState {
				t.Errorf("statuses %v, want %v", states, r.wantStates)
			}
			if st[0].TargetURL != jobURL {
				t.Errorf("pending status points at %q, want the job %q", st[0].TargetURL, jobURL)
			}
			last := st[len(st)-1]
			if last.State != r.wantState || last.TargetURL != target || !strings.Contains(last.Description, r.wantDesc) {
				t.Errorf("final status %+v, want %s at %s saying %q", last, r.wantState, target, r.wantDesc)
			}

			comments := gh.Comments("Codertocat", r.repo, 2)
			wantBody := "Build queued for " + head[:7] + ".\n\n<!-- switchboard:" + r.delivery + "/pr-checks/1 -->"
			if len(comments) != 1 || comments[0].Body != wantBody || comments[0].Installation != 1 {
				t.Errorf("comments = %+v, want one by installation 1: %q", comments, wantBody)
			}
			if got := gh.Labels("Codertocat", r.repo, 2); strings.Join(got, ",") != "bug,ci-queued" {
				t.Errorf("labels = %v, want [bug ci-queued]", got)
			}
		})
	}

	// The rate-limited comment was tried once, then not again before the
	// reset GitHub stated.
	var posts []fakegithub.Request
	for _, r := range gh.Requests() {
		if r.Method+" "+r.Path == commentsOK {
			posts = append(posts, r)
		}
	}
	if len(posts) != 2 || posts[0].Status != http.StatusForbidden || posts[1].Status != http.StatusCreated {
		t.Fatalf("comment posts = %+v, want a 403 then a 201", posts)
	}
	if posts[1].Time.Before(reset) {
		t.Errorf("retried at %s, before the stated reset %s", posts[1].Time, reset)
	}
	// The rate limit is the installation's: go-github holds back the other
	// repositories' calls until the reset too, so at least this one retry.
	if n := metric(t, srv.URL, "switchboard_action_attempts_total", map[string]string{"kind": "comment", "outcome": "retrying"}); n < 1 {
		t.Errorf("comment retrying attempts = %v, want at least 1", n)
	}

	// No credential reaches a log line: not the webhook secret, the App's
	// private key or a JWT made with it, an installation token, or the
	// Jenkins token; in the message or any field.
	secrets := []string{secret, jenkinsToken, "eyJ"}
	for _, x := range ex {
		secrets = append(secrets, x.Token)
	}
	for _, line := range strings.Split(string(key.PEM), "\n") {
		if len(line) > 16 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line[:16])
		}
	}
	entries := srv.Logs.AllEntries()
	if len(entries) == 0 {
		t.Fatal("no log lines captured")
	}
	for _, e := range entries {
		line, err := e.String()
		if err != nil {
			t.Fatal(err)
		}
		all := line + " " + e.Message + " " + fmt.Sprintf("%#v", e.Data)
		for _, s := range secrets {
			if strings.Contains(all, s) {
				t.Errorf("log line holds a secret (%.6s...): %s", s, line)
			}
		}
	}
}
