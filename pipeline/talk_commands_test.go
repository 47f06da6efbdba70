package pipeline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

func checkRunPayload(action string, cr fakegithub.CheckRun) map[string]any {
	return map[string]any{
		"action": action,
		"check_run": map[string]any{"id": cr.ID, "name": cr.Name, "external_id": cr.ExternalID, "head_sha": cr.HeadSHA,
			"status": cr.Status, "conclusion": cr.Conclusion, "check_suite": map[string]any{"id": cr.SuiteID}},
		"repository": repoJSON(0), "sender": map[string]any{"login": "hubot-fan", "type": "User"},
		"installation": map[string]any{"id": tInst},
	}
}

// check_run.rerequested runs the check's action again for the same SHA: a
// second build and a second check run; the same delivery again is a
// duplicate that runs nothing; check_suite.rerequested runs every action
// that reported a check in the suite.
func TestRerunFromTheChecksTab(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, checkRule, "")
	e.jk.SetResult("acme/widgets", fakejenkins.Failure)
	e.deliver(t, "push-1", "push", pushPayload(shaNew, shaOld, 1765000000, "octocat", "User"))
	first := e.completedRuns(t, shaNew, 1)[0]

	if dup := e.deliver(t, "rerun-1", "check_run", checkRunPayload("rerequested", first)); dup {
		t.Fatal("first delivery of rerun-1 taken as a duplicate")
	}
	runs := e.completedRuns(t, shaNew, 2)
	if got := e.triggersOf("acme/widgets", shaNew); got != 2 {
		t.Fatalf("%d builds of %s, want 2", got, shaNew[:7])
	}
	second := runs[1]
	if d, _, _, _ := actions.ParseExternalID(second.ExternalID); d != "rerun-1" || second.ID == first.ID || second.HeadSHA != shaNew {
		t.Errorf("second check run %+v: want a new run on the same SHA, for delivery rerun-1", second)
	}
	if dup := e.deliver(t, "rerun-1", "check_run", checkRunPayload("rerequested", first)); !dup {
		t.Error("the same delivery again was not a duplicate")
	}

	// A check run some other App made is none of Switchboard's business.
	other := e.gh.AddCheckRun(fakegithub.CheckRun{Owner: tOwner, Repo: tRepo, HeadSHA: shaNew, Name: "lint", ExternalID: "other-app:7", Status: "completed", Conclusion: "failure"})
	e.deliver(t, "rerun-other", "check_run", checkRunPayload("rerequested", other))
	e.processed(t, "rerun-other")

	e.deliver(t, "suite-1", "check_suite", map[string]any{
		"action": "rerequested", "check_suite": map[string]any{"id": first.SuiteID, "head_sha": shaNew},
		"repository": repoJSON(0), "sender": map[string]any{"login": "octocat", "type": "User"}, "installation": map[string]any{"id": tInst},
	})
	e.completedRuns(t, shaNew, 4) // the seeded run of the other App counts as completed
	if got := e.triggersOf("acme/widgets", shaNew); got != 3 {
		t.Errorf("%d builds after the suite re-run, want 3", got)
	}
}

const prRules = `  - name: pr
    on: [pull_request.opened, pull_request.synchronize]
    do:
      - jenkins: {job: acme/unit, parameters: {GIT_SHA: "{{ .SHA }}"}, report: true}
      - jenkins: {job: acme/lint, parameters: {GIT_SHA: "{{ .SHA }}"}, report: true}
  - name: smoke
    on: [pull_request.synchronize]
    do:
      - jenkins: {job: acme/smoke, parameters: {GIT_SHA: "{{ .SHA }}"}}
`

// prBuilt opens the pull request at sha and waits for both reported
// builds to end.
func (e *talkEnv) prBuilt(t *testing.T, sha string) {
	t.Helper()
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: sha, Head: "feature", Base: "main", Author: "octocat"})
	e.deliver(t, "pr-opened", "pull_request", prPayload("opened", sha, time.Unix(1765000000, 0)))
	e.waitGH(t, "both builds reported", func() bool {
		a, _ := e.finalStatus(sha, "jenkins/acme/unit")
		b, _ := e.finalStatus(sha, "jenkins/acme/lint")
		return a != "" && b != ""
	})
}

func reactionsOf(gh *fakegithub.Server, id int64) string {
	var out []string
	for _, r := range gh.Reactions(id) {
		out = append(out, r.Content)
	}
	return strings.Join(out, ",")
}

// /retest by a MEMBER runs again only the build whose last result failed,
// on the head SHA, and reacts eyes then +1.
func TestRetestByMemberRerunsOnlyTheFailedBuild(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, prRules, "")
	e.jk.SetResult("acme/unit", fakejenkins.Failure)
	e.prBuilt(t, shaNew)
	e.jk.SetResult("acme/unit", fakejenkins.Success)

	e.deliver(t, "retest-1", "issue_comment", commentPayload("created", 501, "Flaky, again please.\n/retest", "octocat", "MEMBER", "User"))
	e.waitGH(t, "the retest's status", func() bool { s, _ := e.finalStatus(shaNew, "jenkins/acme/unit"); return s == "success" })
	e.waitOutcome(t, "retest-1", "pr", 0)
	if got := e.triggersOf("acme/unit", shaNew); got != 2 {
		t.Errorf("unit built %d times, want 2", got)
	}
	if got := e.triggersOf("acme/lint", shaNew) + e.triggersOf("acme/smoke", shaNew); got != 1 {
		t.Errorf("lint and smoke built %d times, want 1 (lint's first build only)", got)
	}
	if got := reactionsOf(e.gh, 501); got != "eyes,+1" {
		t.Errorf("reactions %q, want eyes,+1", got)
	}
	found := false
	for _, l := range e.logs.AllEntries() {
		found = found || l.Message == "command /retest by octocat (MEMBER)"
	}
	if !found {
		t.Error("no log line explains the job as command /retest by octocat (MEMBER)")
	}
}

// /retest by an author with association NONE runs nothing and gets one
// reply, however often the comment is processed.
func TestRetestByNoneRunsNothing(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, prRules, "")
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: shaNew})
	p := commentPayload("created", 502, "/retest\n/build", "drive-by", "NONE", "User")
	e.deliver(t, "none-1", "issue_comment", p)
	e.processed(t, "none-1")
	e.deliver(t, "none-1-again", "issue_comment", p) // the same comment, processed again
	e.processed(t, "none-1-again")
	replies := e.gh.Comments(tOwner, tRepo, tPR)
	if len(replies) != 1 || !strings.Contains(replies[0].Body, "@drive-by: Switchboard commands may be run by authors whose association with the repository is OWNER, MEMBER, COLLABORATOR. Nothing was run.") {
		t.Errorf("replies %+v, want one saying who may run commands", replies)
	}
	if n := len(e.jk.Triggers()); n != 0 {
		t.Errorf("%d builds, want none", n)
	}
	if got := reactionsOf(e.gh, 502); got != "" {
		t.Errorf("reactions %q, want none", got)
	}
	if n := e.gh.Count("GET /repos/acme/widgets/pulls/12"); n != 0 {
		t.Errorf("the pull request was read %d times for an untrusted author", n)
	}
}

// No reply when commands.reply_untrusted is false; commands.users lets a
// login in whatever its association.
func TestCommandTrustSettings(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, prRules, "commands: {reply_untrusted: false, users: [drive-by], teams: [acme/ci]}")
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: shaNew, Head: "feature", Base: "main"})
	e.gh.SetTeamMembers("acme/ci", "teammate")
	e.deliver(t, "quiet", "issue_comment", commentPayload("created", 503, "/build", "stranger", "NONE", "User"))
	e.processed(t, "quiet")
	if n := len(e.gh.Comments(tOwner, tRepo, tPR)); n != 0 {
		t.Errorf("%d replies with reply_untrusted: false", n)
	}
	e.deliver(t, "by-user", "issue_comment", commentPayload("created", 504, "/build smoke", "drive-by", "NONE", "User"))
	e.deliver(t, "by-team", "issue_comment", commentPayload("created", 505, "/build smoke", "teammate", "CONTRIBUTOR", "User"))
	e.waitJK(t, "two smoke builds", func() bool { return e.triggersOf("acme/smoke", shaNew) == 2 })
	if n := e.triggersOf("acme/unit", shaNew); n != 0 {
		t.Errorf("/build smoke built unit %d times", n)
	}
}

// /build reads the head SHA from the pull request API, not from the
// comment (whose payload has none): the build is of the PR's current head.
func TestBuildReadsTheHeadSHAFromTheAPI(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, prRules, "")
	e.prBuilt(t, shaOld)
	// Pushed since, and the synchronize delivery never came.
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: shaNew, Head: "feature", Base: "main", Author: "octocat"})
	e.deliver(t, "build-1", "issue_comment", commentPayload("created", 506, "/build", "octocat", "COLLABORATOR", "User"))
	e.waitJK(t, "builds of the new head", func() bool {
		return e.triggersOf("acme/unit", shaNew) == 1 && e.triggersOf("acme/lint", shaNew) == 1 && e.triggersOf("acme/smoke", shaNew) == 1
	})
	e.waitGH(t, "the new head's statuses", func() bool { s, _ := e.finalStatus(shaNew, "jenkins/acme/unit"); return s == "success" })
	if n := e.gh.Count("GET /repos/acme/widgets/pulls/12"); n != 1 {
		t.Errorf("pull request read %d times, want 1", n)
	}
	if got := reactionsOf(e.gh, 506); got != "eyes,+1" {
		t.Errorf("reactions %q, want eyes,+1", got)
	}

	// An unknown rule, and an unknown command.
	e.deliver(t, "build-2", "issue_comment", commentPayload("created", 507, "/build nosuch\n/deploy now", "octocat", "OWNER", "User"))
	e.waitGH(t, "the reply about the unknown rule", func() bool { return len(e.gh.Comments(tOwner, tRepo, tPR)) == 1 })
	if got := reactionsOf(e.gh, 507); got != "eyes,confused" {
		t.Errorf("reactions %q, want eyes,confused", got)
	}
}

// An edited comment, and a comment by a bot, do nothing at all.
func TestEditedAndBotCommentsDoNothing(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, prRules, "")
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: shaNew})
	e.deliver(t, "edited", "issue_comment", commentPayload("edited", 508, "/build", "octocat", "OWNER", "User"))
	e.deliver(t, "deleted", "issue_comment", commentPayload("deleted", 509, "/build", "octocat", "OWNER", "User"))
	e.deliver(t, "bot", "issue_comment", commentPayload("created", 510, "/build", "other-ci[bot]", "MEMBER", "Bot"))
	for _, id := range []string{"edited", "deleted", "bot"} {
		e.processed(t, id)
	}
	// Only the loop-safety look-up of the App's own bot account, for the
	// bot's delivery: no pull request read, no reaction, no reply.
	for _, r := range e.gh.Requests() {
		if r.Method+" "+r.Path != "GET /app" {
			t.Errorf("GitHub request %s %s, want none", r.Method, r.Path)
		}
	}
	if n := len(e.jk.Triggers()); n != 0 {
		t.Errorf("%d builds, want none", n)
	}
}

// /switchboard help replies with the commands and who may run them.
func TestHelpCommand(t *testing.T) {
	e := newTalkEnv(t, fakejenkins.Options{}, prRules, "")
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: shaNew})
	e.deliver(t, "help", "issue_comment", commentPayload("created", 511, "/switchboard help", "octocat", "OWNER", "User"))
	e.waitGH(t, "the help reply", func() bool { return len(e.gh.Comments(tOwner, tRepo, tPR)) == 1 })
	body := e.gh.Comments(tOwner, tRepo, tPR)[0].Body
	for _, want := range []string{"`/retest`", "`/build RULE`", "`/cancel`", "OWNER, MEMBER, COLLABORATOR"} {
		if !strings.Contains(body, want) {
			t.Errorf("help lacks %q:\n%s", want, body)
		}
	}
	if got := reactionsOf(e.gh, 511); got != "eyes" {
		t.Errorf("reactions %q, want eyes", got)
	}
}
