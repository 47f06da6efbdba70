package pipeline_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
)

const shaNext = "3333333ccccccccccccccccccccccccccccccccc"

// forkRules: the pull request build (held for untrusted forks) and a
// harmless log that runs for them anyway (trusted_only: false).
const forkRules = `  - name: pr
    on: [pull_request.opened, pull_request.synchronize]
    do:
      - jenkins: {job: acme/unit, parameters: {GIT_SHA: "{{ .SHA }}"}}
  - name: hello
    on: [pull_request.opened]
    trusted_only: false
    do:
      - log: {message: "hello {{ .PullRequest.Author }}"}
`

// forkPR is the payload of a pull request from the fork first-timer/widgets
// by a FIRST_TIME_CONTRIBUTOR (or assoc): GitHub's own pull_request.opened
// example (testdata/webhooks, from @octokit/webhooks-examples 7.6.1; it
// has no fork pull request by an outsider), with the author, association,
// head repository, head SHA and labels changed, and the repository and
// installation of the test's fake GitHub.
func forkPR(t *testing.T, action, sha, assoc string, labels ...string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", "pull_request.opened.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	p["action"], p["number"] = action, tPR
	p["repository"] = repoJSON(0)
	p["installation"] = map[string]any{"id": tInst}
	p["sender"] = map[string]any{"login": "first-timer", "type": "User"}
	pr := p["pull_request"].(map[string]any)
	pr["number"], pr["author_association"] = tPR, assoc
	pr["user"] = map[string]any{"login": "first-timer", "type": "User"}
	ls := []any{}
	for _, l := range labels {
		ls = append(ls, map[string]any{"name": l})
	}
	pr["labels"] = ls
	head := pr["head"].(map[string]any)
	head["sha"], head["ref"], head["label"] = sha, "patch-1", "first-timer:patch-1"
	hr := head["repo"].(map[string]any)
	hr["full_name"], hr["name"] = "first-timer/widgets", "widgets"
	hr["owner"] = map[string]any{"login": "first-timer", "type": "User"}
	base := pr["base"].(map[string]any)
	base["repo"] = repoJSON(0)
	return p
}

func (e *talkEnv) okStatus(sha string) string {
	state := ""
	for _, s := range e.gh.Statuses(tOwner, tRepo, sha) {
		if s.Context == commands.OkToTestContext {
			state = s.State
		}
	}
	return state
}

func (e *talkEnv) holdComments() int {
	n := 0
	for _, c := range e.gh.Comments(tOwner, tRepo, tPR) {
		if strings.Contains(c.Body, "`/ok-to-test`") {
			n++
		}
	}
	return n
}

// A fork pull request by a FIRST_TIME_CONTRIBUTOR builds nothing: one
// comment, a pending switchboard/ok-to-test status, the reason in the
// history, the trusted_only: false rule run. /ok-to-test by the author
// does nothing; by a MEMBER it builds the head SHA read from the API. A
// later push waits again (per_sha).
func TestForkPullRequestHeldUntilOkToTest(t *testing.T) {
	e := newTalkEnvGate(t, fakejenkins.Options{}, forkRules, "", "", true)
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: shaNew, Head: "patch-1", Base: "main", Author: "first-timer"})

	e.deliver(t, "fork-opened", "pull_request", forkPR(t, "opened", shaNew, "FIRST_TIME_CONTRIBUTOR"))
	e.processed(t, "fork-opened")
	if n := len(e.jk.Triggers()); n != 0 {
		t.Fatalf("%d builds of a held pull request", n)
	}
	if n := e.holdComments(); n != 1 {
		t.Fatalf("%d hold comments, want 1: %+v", n, e.gh.Comments(tOwner, tRepo, tPR))
	}
	if s := e.okStatus(shaNew); s != "pending" {
		t.Fatalf("ok-to-test status %q, want pending", s)
	}
	d, err := e.store.DeliveryHistory(context.Background(), "fork-opened")
	if err != nil {
		t.Fatal(err)
	}
	const why = "held: author FIRST_TIME_CONTRIBUTOR from fork first-timer/widgets; waiting for /ok-to-test"
	var prRule, hello bool
	for _, r := range d.Rules {
		last := r.Conditions[len(r.Conditions)-1]
		prRule = prRule || (r.Name == "pr" && !r.Matched && last.Condition == "trusted_only" && last.Detail == why)
		hello = hello || (r.Name == "hello" && r.Matched)
	}
	if !prRule || !hello || len(d.ActionList) != 1 || d.ActionList[0].Rule != "hello" {
		t.Fatalf("history: rules %+v actions %+v", d.Rules, d.ActionList)
	}

	// Another event of the same held pull request: still one comment.
	e.deliver(t, "fork-opened-again", "pull_request", forkPR(t, "opened", shaNew, "FIRST_TIME_CONTRIBUTOR"))
	e.processed(t, "fork-opened-again")
	if n := e.holdComments(); n != 1 || len(e.jk.Triggers()) != 0 {
		t.Fatalf("%d hold comments, %d builds after a second event", n, len(e.jk.Triggers()))
	}

	// The author cannot approve their own pull request.
	e.deliver(t, "ok-by-author", "issue_comment", commentPayload("created", 601, "/ok-to-test", "first-timer", "FIRST_TIME_CONTRIBUTOR", "User"))
	e.processed(t, "ok-by-author")
	if n := len(e.jk.Triggers()); n != 0 || e.okStatus(shaNew) != "pending" {
		t.Fatalf("author's /ok-to-test: %d builds, status %q", n, e.okStatus(shaNew))
	}

	e.deliver(t, "ok-by-member", "issue_comment", commentPayload("created", 602, "/ok-to-test", "maintainer", "MEMBER", "User"))
	e.waitJK(t, "the approved build", func() bool { return e.triggersOf("acme/unit", shaNew) == 1 })
	e.waitOutcome(t, "ok-by-member", "pr", 0)
	if s := e.okStatus(shaNew); s != "success" {
		t.Fatalf("ok-to-test status %q after approval, want success", s)
	}

	// per_sha: a later push by the author waits again.
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: shaNext, Head: "patch-1", Base: "main", Author: "first-timer"})
	e.deliver(t, "fork-push", "pull_request", forkPR(t, "synchronize", shaNext, "FIRST_TIME_CONTRIBUTOR"))
	e.processed(t, "fork-push")
	if n := e.triggersOf("acme/unit", shaNext); n != 0 || e.okStatus(shaNext) != "pending" || e.holdComments() != 1 {
		t.Fatalf("later push: %d builds, status %q, %d comments", n, e.okStatus(shaNext), e.holdComments())
	}
	if n := len(e.jk.Triggers()); n != 1 {
		t.Fatalf("%d builds in all, want 1", n)
	}
}

// Under approve: sticky an /ok-to-test labels the pull request, and a later
// push builds at once.
func TestForkPullRequestStickyApproval(t *testing.T) {
	e := newTalkEnvGate(t, fakejenkins.Options{}, forkRules, "pull_requests: {approve: sticky}", "", true)
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: shaNew, Head: "patch-1", Base: "main", Author: "first-timer"})
	e.deliver(t, "fork-opened", "pull_request", forkPR(t, "opened", shaNew, "FIRST_TIME_CONTRIBUTOR"))
	e.processed(t, "fork-opened")
	if n := len(e.jk.Triggers()); n != 0 {
		t.Fatalf("%d builds of a held pull request", n)
	}
	e.deliver(t, "ok-by-member", "issue_comment", commentPayload("created", 602, "/ok-to-test", "maintainer", "MEMBER", "User"))
	e.waitJK(t, "the approved build", func() bool { return e.triggersOf("acme/unit", shaNew) == 1 })
	labels := e.gh.Labels(tOwner, tRepo, tPR)
	if strings.Join(labels, ",") != commands.OkToTestLabel {
		t.Fatalf("labels %q, want %s", labels, commands.OkToTestLabel)
	}
	e.gh.SetPullRequest(tOwner, tRepo, fakegithub.PullRequest{Number: tPR, HeadSHA: shaNext, Head: "patch-1", Base: "main", Author: "first-timer", Labels: labels})
	e.deliver(t, "fork-push", "pull_request", forkPR(t, "synchronize", shaNext, "FIRST_TIME_CONTRIBUTOR", labels...))
	e.waitJK(t, "the later push's build", func() bool { return e.triggersOf("acme/unit", shaNext) == 1 })
	if s := e.okStatus(shaNext); s != "" {
		t.Fatalf("ok-to-test status %q on an approved pull request's push", s)
	}
}

// A fork pull request by a trusted author (MEMBER), and any under
// untrusted: run, builds at once: no comment, no ok-to-test status.
func TestForkPullRequestRunsAtOnce(t *testing.T) {
	for name, tc := range map[string]struct{ cmd, assoc string }{
		"trusted author":  {"", "MEMBER"},
		"untrusted: run":  {"pull_requests: {untrusted: run}", "FIRST_TIME_CONTRIBUTOR"},
		"listed in users": {"commands: {users: [first-timer]}", "CONTRIBUTOR"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newTalkEnvGate(t, fakejenkins.Options{}, forkRules, tc.cmd, "", true)
			e.deliver(t, "fork-opened", "pull_request", forkPR(t, "opened", shaNew, tc.assoc))
			e.waitJK(t, "the build", func() bool { return e.triggersOf("acme/unit", shaNew) == 1 })
			e.processed(t, "fork-opened")
			if e.holdComments() != 0 || e.okStatus(shaNew) != "" {
				t.Fatalf("%d hold comments, status %q", e.holdComments(), e.okStatus(shaNew))
			}
		})
	}
}

// When GitHub refuses to show the statuses (a 404: nothing a retry would
// mend), the approval cannot be checked and the event is held all the
// same, saying why; a 502 is retried and the event then held as usual.
func TestForkPullRequestHeldWhenApprovalUnreadable(t *testing.T) {
	e := newTalkEnvGate(t, fakejenkins.Options{}, forkRules, "", "", true)
	statuses := "GET /repos/" + tOwner + "/" + tRepo + "/commits/" + shaNew + "/status"
	e.gh.Fail(statuses, 1, 404, "Not Found")
	e.deliver(t, "fork-opened", "pull_request", forkPR(t, "opened", shaNew, "FIRST_TIME_CONTRIBUTOR"))
	e.processed(t, "fork-opened")
	d, err := e.store.DeliveryHistory(context.Background(), "fork-opened")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.jk.Triggers()) != 0 || d.Rules[0].Matched || !strings.HasPrefix(d.ProcessError, "read the statuses of 2222222") {
		t.Fatalf("%d builds; rules %+v; error %q", len(e.jk.Triggers()), d.Rules, d.ProcessError)
	}
	last := d.Rules[0].Conditions[len(d.Rules[0].Conditions)-1]
	if last.Condition != "trusted_only" || !strings.HasPrefix(last.Detail, "held: the approval could not be checked: read the statuses of 2222222") {
		t.Fatalf("last condition %+v", last)
	}

	e.gh.Fail(statuses, 1, 502, "Bad Gateway")
	e.deliver(t, "fork-reopened", "pull_request", forkPR(t, "opened", shaNew, "FIRST_TIME_CONTRIBUTOR"))
	e.processed(t, "fork-reopened")
	if len(e.jk.Triggers()) != 0 || e.okStatus(shaNew) != "pending" || e.holdComments() != 1 {
		t.Fatalf("after a 502: %d builds, status %q, %d comments", len(e.jk.Triggers()), e.okStatus(shaNew), e.holdComments())
	}
}
