package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/pipeline"
	"github.com/switchboard-dev/switchboard/rules"
)

// Names on GitHub of the hold for /ok-to-test.
const (
	// OkToTestContext is the commit status of a held pull request: pending
	// while it waits, success once a member approved its head SHA.
	OkToTestContext = "switchboard/ok-to-test"
	// OkToTestLabel marks a pull request approved for its life, under
	// pull_requests.approve: sticky (Prow's label).
	OkToTestLabel = "ok-to-test"
)

var _ pipeline.Gate = (*Handler)(nil)

// Hold implements pipeline.Gate: a pull_request event whose author is not
// trusted (commands.trusted, users, teams) and whose head repository is
// not the base repository is held, unless its head SHA has a member's
// approval (the success status OkToTestContext) or, under sticky, the pull
// request carries OkToTestLabel. A held event gets a pending status on its
// head SHA and, once per pull request, a comment saying what to do.
func (h *Handler) Hold(ctx context.Context, snap *pipeline.Snapshot, ev *rules.Event) (string, error) {
	pcfg := snap.Config.PullRequests
	assoc, fork, held := pipeline.UntrustedFork(snap.Config, ev)
	if !held || ev.SHA == "" {
		return "", nil
	}
	gc, err := h.gh.Installation(ev.Installation)
	if err != nil {
		return "", err
	}
	c := &comment{ev: ev, gc: gc, owner: ev.Repository.Owner, repo: ev.Repository.Name, number: ev.PullRequest.Number,
		login: ev.PullRequest.Author, association: assoc,
		log: h.log.WithFields(logrus.Fields{logfield.Delivery: ev.Delivery, logfield.Repo: ev.Repository.FullName, "pull_request": ev.PullRequest.Number, "author": ev.PullRequest.Author})}
	// commands.trusted and users were checked from the payload; teams
	// need the API.
	trusted, err := h.trusted(ctx, c, snap.Config.Commands)
	if err != nil {
		return "", h.retryable(fmt.Errorf("check whether the author is trusted: %w", err))
	}
	if trusted {
		return "", nil
	}
	if pcfg.Sticky() && hasLabel(ev.PullRequest.Labels, OkToTestLabel) {
		return "", nil
	}
	approved, err := approvedSHA(ctx, c, ev.SHA)
	if err != nil {
		return "", h.retryable(err)
	}
	if approved {
		return "", nil
	}
	reason := pipeline.HeldText(assoc, fork)
	c.log.WithField("association", assoc).Info(reason)
	if _, _, err := gc.Repositories.CreateStatus(ctx, c.owner, c.repo, ev.SHA, &github.RepoStatus{
		State: github.String("pending"), Context: github.String(OkToTestContext),
		Description: github.String("Waiting for a member to comment /ok-to-test"),
	}); err != nil {
		return reason, h.retryable(fmt.Errorf("set the %s status on %s: %w", OkToTestContext, shortSHA(ev.SHA), err))
	}
	if err := c.replyOnce(ctx, "ok-to-test", holdText(c.login, fork)); err != nil {
		return reason, h.retryable(err)
	}
	return reason, nil
}

// retryable marks a GitHub failure worth another try as such.
func (h *Handler) retryable(err error) error {
	if err != nil && retryable(err) {
		return &pipeline.RetryableError{Err: err}
	}
	return err
}

// approvedSHA reports whether sha carries the success status
// OkToTestContext that /ok-to-test sets.
func approvedSHA(ctx context.Context, c *comment, sha string) (bool, error) {
	cs, _, err := c.gc.Repositories.GetCombinedStatus(ctx, c.owner, c.repo, sha, &github.ListOptions{PerPage: 100})
	if err != nil {
		return false, fmt.Errorf("read the statuses of %s: %w", shortSHA(sha), err)
	}
	for _, st := range cs.Statuses {
		if st.GetContext() == OkToTestContext {
			return st.GetState() == "success", nil
		}
	}
	return false, nil
}

func hasLabel(labels []string, name string) bool {
	for _, l := range labels {
		if strings.EqualFold(l, name) {
			return true
		}
	}
	return false
}

// okToTest approves the pull request's head SHA as GitHub shows it now
// (and, under sticky, the pull request) and renders its pull request
// rules for that SHA, as /build does. The commenter is trusted: comment
// checked that before any command runs.
func (h *Handler) okToTest(ctx context.Context, snap *pipeline.Snapshot, c *comment, pr *github.PullRequest) ([]actions.Job, error) {
	sha := pr.GetHead().GetSHA()
	if sha == "" {
		return nil, fmt.Errorf("pull request #%d has no head SHA", c.number)
	}
	if _, _, err := c.gc.Repositories.CreateStatus(ctx, c.owner, c.repo, sha, &github.RepoStatus{
		State: github.String("success"), Context: github.String(OkToTestContext),
		Description: github.String(limit("Approved by @"+c.login+" with /ok-to-test", 140)),
	}); err != nil {
		return nil, fmt.Errorf("set the %s status on %s: %w", OkToTestContext, shortSHA(sha), err)
	}
	if snap.Config.PullRequests.Sticky() {
		if _, _, err := c.gc.Issues.AddLabelsToIssue(ctx, c.owner, c.repo, c.number, []string{OkToTestLabel}); err != nil {
			return nil, fmt.Errorf("label #%d %s: %w", c.number, OkToTestLabel, err)
		}
	}
	return h.rebuild(ctx, snap, c, pr, Command{Name: Build, Known: true})
}

func holdText(author, fork string) string {
	return fmt.Sprintf("Thanks for the pull request, @%s! It comes from the fork %s, so Switchboard runs no builds for it "+
		"until a member of the organisation has looked at it and commented `/ok-to-test`.", author, fork)
}

func limit(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
