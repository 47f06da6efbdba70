package pipeline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
	"github.com/switchboard-dev/switchboard/store"
)

const supersedeRule = `  - name: main
    on: [push]
    supersede: true%s
    do:
      - jenkins: {job: acme/main, parameters: {GIT_SHA: "{{ .SHA }}"}, report: true}
`

func supersedeRules(abort bool) string {
	extra := ""
	if abort {
		extra = "\n    abort_running: true"
	}
	return strings.Replace(supersedeRule, "%s", extra, 1)
}

const zeroSHA = "0000000000000000000000000000000000000000"

// Two quick pushes to one branch (the same second) with supersede: true:
// the older one's build, still in the Jenkins queue, is cancelled there
// (POST /queue/cancelItem), its status says superseded, and the only build
// that runs is the newer SHA's.
func TestSupersedeCancelsTheQueuedBuild(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, supersedeRules(false), "")
	e.jk.HoldQueue("acme/main", true)
	e.deliver(t, "push-a", "push", pushPayload(shaOld, zeroSHA, 1765000000, "octocat", "User"))
	e.waitGH(t, "the older build queued", func() bool { return len(e.gh.Statuses(tOwner, tRepo, shaOld)) > 0 })
	e.deliver(t, "push-b", "push", pushPayload(shaNew, shaOld, 1765000000, "octocat", "User"))

	e.waitGH(t, "the older SHA superseded", func() bool { s, _ := e.finalStatus(shaOld, "jenkins/acme/main"); return s != "" })
	if state, desc := e.finalStatus(shaOld, "jenkins/acme/main"); state != "error" || desc != "Superseded by 2222222; cancelled in the Jenkins queue" {
		t.Errorf("older SHA's status %s %q, want error Superseded by 2222222; cancelled in the Jenkins queue", state, desc)
	}
	if got := e.jk.Cancelled(); len(got) != 1 || got[0] != 1 {
		t.Errorf("queue items cancelled %v, want [1]", got)
	}
	e.jk.HoldQueue("acme/main", false)
	e.waitGH(t, "the newer SHA built", func() bool { s, _ := e.finalStatus(shaNew, "jenkins/acme/main"); return s != "" })
	if state, desc := e.finalStatus(shaNew, "jenkins/acme/main"); state != "success" || desc != "Build #1 succeeded" {
		t.Errorf("newer SHA's status %s %q, want success Build #1 succeeded (the only build)", state, desc)
	}
}

// The newest event runs whatever the order of delivery: the older push
// delivered last never triggers its build; its outcome is cancelled with
// "superseded by <short sha>" and its status says so.
func TestSupersedeOlderDeliveredLast(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, supersedeRules(false), "")
	e.deliver(t, "push-b", "push", pushPayload(shaNew, shaOld, 1765000060, "octocat", "User"))
	e.processed(t, "push-b")
	e.deliver(t, "push-a", "push", pushPayload(shaOld, zeroSHA, 1765000000, "octocat", "User"))
	o := e.waitOutcome(t, "push-a", "main", 0)
	if o.State != store.OutcomeCancelled || o.LastError != "superseded by 2222222" {
		t.Errorf("older push's outcome %s %q, want cancelled, superseded by 2222222", o.State, o.LastError)
	}
	e.waitGH(t, "the newer SHA built", func() bool { s, _ := e.finalStatus(shaNew, "jenkins/acme/main"); return s == "success" })
	if state, desc := e.finalStatus(shaOld, "jenkins/acme/main"); state != "error" || !strings.HasPrefix(desc, "Superseded by 2222222") {
		t.Errorf("older SHA's status %s %q, want error Superseded by 2222222", state, desc)
	}
	if n := e.triggersOf("acme/main", shaOld); n != 0 {
		t.Errorf("the older SHA was built %d times", n)
	}
}

// A running build is stopped (POST <build>/stop) only with abort_running:
// true; without it, it runs to its end and reports its own result.
func TestSupersedeRunningBuild(t *testing.T) {
	for _, abort := range []bool{true, false} {
		name := map[bool]string{true: "abort_running", false: "without abort_running"}[abort]
		t.Run(name, func(t *testing.T) {
			e := newTalkEnv(t, fakejenkins.Options{}, supersedeRules(abort), "")
			e.jk.HoldBuilds("acme/main", true)
			e.deliver(t, "push-a", "push", pushPayload(shaOld, zeroSHA, 1765000000, "octocat", "User"))
			running := func(sha string) func() bool {
				return func() bool {
					for _, s := range e.gh.Statuses(tOwner, tRepo, sha) {
						if strings.HasSuffix(s.Description, "running") {
							return true
						}
					}
					return false
				}
			}
			e.waitGH(t, "the older build running", running(shaOld))
			e.deliver(t, "push-b", "push", pushPayload(shaNew, shaOld, 1765000030, "octocat", "User"))
			e.waitGH(t, "the newer build running", running(shaNew))
			if abort {
				e.waitGH(t, "the older build stopped", func() bool { s, _ := e.finalStatus(shaOld, "jenkins/acme/main"); return s != "" })
				if got := e.jk.Stopped(); len(got) != 1 || got[0] != "acme/main#1" {
					t.Errorf("stopped %v, want [acme/main#1]", got)
				}
				if state, desc := e.finalStatus(shaOld, "jenkins/acme/main"); state != "error" || desc != "Superseded by 2222222; build #1 stopped" {
					t.Errorf("older SHA's status %s %q", state, desc)
				}
				return
			}
			if got := e.jk.Stopped(); len(got) != 0 {
				t.Errorf("stopped %v without abort_running", got)
			}
			if s, _ := e.finalStatus(shaOld, "jenkins/acme/main"); s != "" {
				t.Errorf("older build ended %q while still running", s)
			}
			e.jk.HoldBuilds("acme/main", false)
			e.waitGH(t, "both builds ended", func() bool {
				a, _ := e.finalStatus(shaOld, "jenkins/acme/main")
				b, _ := e.finalStatus(shaNew, "jenkins/acme/main")
				return a != "" && b != ""
			})
			if state, desc := e.finalStatus(shaOld, "jenkins/acme/main"); state != "success" || desc != "Build #1 succeeded" {
				t.Errorf("older SHA's status %s %q, want its own result", state, desc)
			}
		})
	}
}

// /cancel cancels the pull request's queued build (its check run then
// completes cancelled).
func TestCancelCommand(t *testing.T) {
	rule := `  - name: pr
    on: [pull_request.opened]
    do:
      - jenkins: {job: acme/pr, parameters: {GIT_SHA: "{{ .SHA }}"}, report: check}
`
	e := newTalkEnv(t, fakejenkins.Options{}, rule, "")
	e.jk.HoldQueue("acme/pr", true)
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: shaNew, Head: "feature", Base: "main"})
	e.deliver(t, "pr-opened", "pull_request", prPayload("opened", shaNew, time.Unix(1765000000, 0)))
	e.waitGH(t, "the check run queued", func() bool { return len(e.gh.CheckRuns(tOwner, tRepo, shaNew)) == 1 })
	e.deliver(t, "cancel-1", "issue_comment", commentPayload("created", 601, "/cancel", "octocat", "MEMBER", "User"))
	runs := e.completedRuns(t, shaNew, 1)
	if runs[0].Conclusion != "cancelled" {
		t.Errorf("conclusion %q, want cancelled", runs[0].Conclusion)
	}
	if got := e.jk.Cancelled(); len(got) != 1 {
		t.Errorf("queue items cancelled %v, want one", got)
	}
}

// A delivery the App's own bot account caused matches only rules with
// allow_self: true; dependabot[bot] is an ordinary sender.
func TestSelfDeliveriesMatchOnlyAllowSelf(t *testing.T) {
	rules := `  - name: ordinary
    on: [push]
    do:
      - jenkins: {job: acme/ordinary, parameters: {GIT_SHA: "{{ .SHA }}"}}
  - name: self-ok
    on: [push]
    allow_self: true
    do:
      - jenkins: {job: acme/self, parameters: {GIT_SHA: "{{ .SHA }}"}}
`
	e := newTalkEnv(t, fakejenkins.Options{}, rules, "")
	e.deliver(t, "by-self", "push", pushPayload(shaOld, zeroSHA, 1765000000, "switchboard[bot]", "Bot"))
	e.deliver(t, "by-dependabot", "push", pushPayload(shaNew, zeroSHA, 1765000000, "dependabot[bot]", "Bot"))
	e.waitJK(t, "three builds", func() bool { return len(e.jk.Triggers()) >= 3 })
	e.processed(t, "by-self")
	e.processed(t, "by-dependabot")
	e.waitOutcome(t, "by-self", "self-ok", 0)
	if _, err := e.store.Outcome(context.Background(), "by-self", "ordinary", 0); err == nil {
		t.Error("the App's own push ran a rule without allow_self")
	}
	if e.triggersOf("acme/ordinary", shaOld) != 0 || e.triggersOf("acme/self", shaOld) != 1 ||
		e.triggersOf("acme/ordinary", shaNew) != 1 || e.triggersOf("acme/self", shaNew) != 1 {
		t.Errorf("triggers %+v", e.jk.Triggers())
	}
}

// On a pull request, supersede works on the pull request: a synchronize
// delivered after a newer one never builds, and its check run (report:
// check) is completed cancelled, "Superseded by ...".
func TestSupersedePullRequestCheckRun(t *testing.T) {
	rule := `  - name: pr
    on: [pull_request.opened, pull_request.synchronize]
    supersede: true
    do:
      - jenkins: {job: acme/pr, parameters: {GIT_SHA: "{{ .SHA }}"}, report: check}
`
	e := newTalkEnv(t, fakejenkins.Options{}, rule, "")
	newer := prPayload("synchronize", shaNew, time.Unix(1765000100, 0))
	newer["before"], newer["after"] = shaOld, shaNew
	e.deliver(t, "sync-new", "pull_request", newer)
	e.processed(t, "sync-new")
	e.deliver(t, "opened-old", "pull_request", prPayload("opened", shaOld, time.Unix(1765000000, 0)))
	old := e.completedRuns(t, shaOld, 1)[0]
	if old.Conclusion != "cancelled" || !strings.HasPrefix(old.Title, "Superseded by 2222222") || !strings.Contains(old.Summary, "Superseded by 2222222.") {
		t.Errorf("older check run %+v, want cancelled, superseded by 2222222", old)
	}
	if cr := e.completedRuns(t, shaNew, 1)[0]; cr.Conclusion != "success" {
		t.Errorf("newer check run concluded %q", cr.Conclusion)
	}
	if n := e.triggersOf("acme/pr", shaOld); n != 0 {
		t.Errorf("older head built %d times", n)
	}
}
