package pipeline_test

import (
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

const checkRule = `  - name: build
    on: [push]
    do:
      - jenkins: {job: acme/widgets, parameters: {GIT_SHA: "{{ .SHA }}", SWITCHBOARD_DELIVERY: "{{ .Delivery }}"}, report: check}
`

// completedRun waits for the check run on sha to complete, and returns
// every run on sha.
func (e *talkEnv) completedRuns(t *testing.T, sha string, n int) []fakegithub.CheckRun {
	t.Helper()
	e.waitGH(t, "completed check runs", func() bool {
		done := 0
		for _, c := range e.gh.CheckRuns(tOwner, tRepo, sha) {
			if c.Status == "completed" {
				done++
			}
		}
		return done >= n
	})
	return e.gh.CheckRuns(tOwner, tRepo, sha)
}

// A check run goes queued -> in_progress (details_url the build) ->
// completed, with the conclusion of the build's result and the last 50
// console lines, ANSI codes stripped, in its summary.
func TestCheckRunLifecycle(t *testing.T) {
	tests := map[string]struct {
		result     string
		cancel     bool // cancelled in the Jenkins queue
		conclusion string
		history    []string
	}{
		"success":              {result: fakejenkins.Success, conclusion: "success", history: []string{"queued", "in_progress", "completed/success"}},
		"failure":              {result: fakejenkins.Failure, conclusion: "failure", history: []string{"queued", "in_progress", "completed/failure"}},
		"unstable":             {result: fakejenkins.Unstable, conclusion: "failure", history: []string{"queued", "in_progress", "completed/failure"}},
		"aborted":              {result: fakejenkins.Aborted, conclusion: "cancelled", history: []string{"queued", "in_progress", "completed/cancelled"}},
		"cancelled in a queue": {cancel: true, conclusion: "cancelled", history: []string{"queued", "completed/cancelled"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newTalkEnv(t, fakejenkins.Options{QueueSteps: 1, BuildSteps: 1}, checkRule, "")
			if tc.result != "" {
				e.jk.SetResult("acme/widgets", tc.result)
			}
			e.jk.SetCancelInQueue("acme/widgets", tc.cancel)
			e.jk.SetConsole("acme/widgets", lines("\x1b[32mstep\x1b[0m", 1, 60))
			e.deliver(t, "push-1", "push", pushPayload(shaNew, shaOld, 1765000000, "octocat", "User"))
			runs := e.completedRuns(t, shaNew, 1)
			if len(runs) != 1 {
				t.Fatalf("%d check runs, want 1: %+v", len(runs), runs)
			}
			cr := runs[0]
			if strings.Join(cr.History, ",") != strings.Join(tc.history, ",") {
				t.Errorf("history %v, want %v", cr.History, tc.history)
			}
			if cr.Conclusion != tc.conclusion || cr.Name != "jenkins/acme/widgets" {
				t.Errorf("name %q conclusion %q, want jenkins/acme/widgets %q", cr.Name, cr.Conclusion, tc.conclusion)
			}
			if d, r, i, ok := actions.ParseExternalID(cr.ExternalID); !ok || d != "push-1" || r != "build" || i != 0 {
				t.Errorf("external_id %q does not name push-1/build/0", cr.ExternalID)
			}
			if tc.cancel {
				if strings.Contains(cr.Summary, "console") {
					t.Errorf("a build that never ran has a console in its summary:\n%s", cr.Summary)
				}
				return
			}
			build := e.jk.URL() + "job/acme/job/widgets/1/"
			if cr.DetailsURL != build {
				t.Errorf("details_url %q, want %q", cr.DetailsURL, build)
			}
			for _, want := range []string{"[#1](" + build + ")", "Last 50 lines", "```text\nstep 11\n", "step 60\n```"} {
				if !strings.Contains(cr.Summary, want) {
					t.Errorf("summary lacks %q:\n%s", want, cr.Summary)
				}
			}
			if strings.Contains(cr.Summary, "step 10\n") || strings.Contains(cr.Summary, "\x1b") {
				t.Errorf("summary has more than the last 50 lines, or ANSI codes:\n%s", cr.Summary)
			}
			if len(e.gh.Statuses(tOwner, tRepo, shaNew)) != 0 {
				t.Errorf("report: check also set commit statuses")
			}
		})
	}
}

// The console tail is cut to GitHub's 65,535 characters, keeping the
// newest lines, inside one code block.
func TestCheckRunSummaryLimit(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, checkRule, "")
	long := strings.Repeat("x", 3000)
	e.jk.SetConsole("acme/widgets", lines(long, 1, 60))
	e.deliver(t, "push-long", "push", pushPayload(shaNew, shaOld, 1765000000, "octocat", "User"))
	cr := e.completedRuns(t, shaNew, 1)[0]
	if n := len(cr.Summary); n > actions.MaxCheckSummary {
		t.Fatalf("summary is %d characters, over %d", n, actions.MaxCheckSummary)
	}
	if !strings.HasSuffix(cr.Summary, long+" 60\n```\n") || strings.Count(cr.Summary, "```") != 2 {
		t.Errorf("summary does not end with the newest line in a closed block:\n...%s", cr.Summary[max(0, len(cr.Summary)-200):])
	}
}

// A build with no result by the follow deadline ends its check run
// timed_out.
func TestCheckRunTimedOut(t *testing.T) {
	e := newTalkEnvWith(t, fakejenkins.Options{}, checkRule, "", ", report_timeout: 1ms")
	e.jk.HoldBuilds("acme/widgets", true)
	e.deliver(t, "push-slow", "push", pushPayload(shaNew, shaOld, 1765000000, "octocat", "User"))
	cr := e.completedRuns(t, shaNew, 1)[0]
	if cr.Conclusion != "timed_out" || !strings.Contains(cr.Title, "no result by") {
		t.Errorf("conclusion %q title %q, want timed_out and no result by ...", cr.Conclusion, cr.Title)
	}
}

// A check run created by an attempt that died before recording its ID is
// found again by its external_id, not created twice.
func TestCheckRunFoundAgainByExternalID(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, checkRule, "")
	seeded := e.gh.AddCheckRun(fakegithub.CheckRun{Owner: tOwner, Repo: tRepo, HeadSHA: shaNew, Name: "jenkins/acme/widgets",
		ExternalID: "switchboard:push-1:0:build", Status: "queued", History: []string{"queued"}})
	e.deliver(t, "push-1", "push", pushPayload(shaNew, shaOld, 1765000000, "octocat", "User"))
	runs := e.completedRuns(t, shaNew, 1)
	if len(runs) != 1 || runs[0].ID != seeded.ID || runs[0].Conclusion != "success" {
		t.Errorf("runs %+v, want the seeded run %d completed", runs, seeded.ID)
	}
}
