package actions

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// MaxStatusDescription is the longest commit status description GitHub
// takes; it answers 422 to a longer one.
// https://docs.github.com/rest/commits/statuses#create-a-commit-status
const MaxStatusDescription = 140

// Status sets a commit status on the event's SHA as the App's installation
// (POST /repos/{owner}/{repo}/statuses/{sha}). Setting a status is
// idempotent in effect: a retry that repeats one leaves the commit showing
// the same state for the same context.
type Status struct {
	gh *gitHub
}

// Run sets job.Status on job.Target.SHA.
func (s *Status) Run(ctx context.Context, job *Job) (Result, error) {
	if job.Status == nil {
		return Result{}, errMissingFields("status")
	}
	if err := s.gh.setStatus(ctx, job.Target, *job.Status); err != nil {
		return Result{}, err
	}
	st := job.Status
	return Result{
		Detail:  st.State,
		Message: fmt.Sprintf("status %s %q set on %s/%s@%s", st.State, st.Context, job.Target.Owner, job.Target.Repo, shortSHA(job.Target.SHA)),
	}, nil
}

// setStatus creates the status st on t.SHA. The description is cut to
// GitHub's 140 characters; an empty context or target URL is left out
// (GitHub then uses the context "default").
func (g *gitHub) setStatus(ctx context.Context, t Target, st StatusJob) error {
	switch st.State {
	case "pending", "success", "failure", "error":
	default:
		return Permanentf("github: status state %q is not pending, success, failure or error", st.State)
	}
	if t.SHA == "" {
		return Permanentf("github: the event has no commit SHA to set a status on")
	}
	gc, err := g.client(t, false)
	if err != nil {
		return err
	}
	rs := &github.RepoStatus{State: github.String(st.State)}
	if st.Context != "" {
		rs.Context = github.String(st.Context)
	}
	if st.Description != "" {
		rs.Description = github.String(truncate(st.Description, MaxStatusDescription))
	}
	if st.TargetURL != "" {
		rs.TargetURL = github.String(st.TargetURL)
	}
	_, _, err = gc.Repositories.CreateStatus(ctx, t.Owner, t.Repo, t.SHA, rs)
	return gitHubError(fmt.Sprintf("set status %q on %s/%s@%s", st.Context, t.Owner, t.Repo, shortSHA(t.SHA)), err, g.now())
}

// shortSHA is the first 7 characters of a commit SHA, as GitHub shows it.
func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
