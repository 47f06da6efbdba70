package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/pipeline"
)

// lastFailed reports whether the last result of a reported Jenkins build
// on sha was failure, error, cancelled or timed out: its check run's
// conclusion, or its commit status's state.
func lastFailed(ctx context.Context, c *comment, jj *actions.JenkinsJob, sha string, statuses **github.CombinedStatus) (bool, error) {
	name := jj.Context
	if name == "" {
		name = "jenkins/" + jj.Job
	}
	if jj.Check {
		res, _, err := c.gc.Checks.ListCheckRunsForRef(ctx, c.owner, c.repo, sha, &github.ListCheckRunsOptions{
			CheckName: github.String(name), Filter: github.String("latest")})
		if err != nil {
			return false, fmt.Errorf("list check runs of %s: %w", shortSHA(sha), err)
		}
		for _, cr := range res.CheckRuns {
			if _, _, _, ours := actions.ParseExternalID(cr.GetExternalID()); !ours {
				continue
			}
			switch cr.GetConclusion() {
			case "failure", "cancelled", "timed_out":
				return true, nil
			}
			return false, nil // the latest of ours
		}
		return false, nil
	}
	if *statuses == nil {
		cs, _, err := c.gc.Repositories.GetCombinedStatus(ctx, c.owner, c.repo, sha, &github.ListOptions{PerPage: 100})
		if err != nil {
			return false, fmt.Errorf("read the statuses of %s: %w", shortSHA(sha), err)
		}
		*statuses = cs
	}
	for _, st := range (*statuses).Statuses {
		if st.GetContext() == name {
			return st.GetState() == "failure" || st.GetState() == "error", nil
		}
	}
	return false, nil
}

// cancel cancels the pull request's queued and running builds on its head
// SHA: those reported as check runs still queued or in progress (found by
// their external_id), and those reported as pending commit statuses that
// point at a running build.
func (h *Handler) cancel(ctx context.Context, snap *pipeline.Snapshot, c *comment, sha string) error {
	var errs []error
	res, _, err := c.gc.Checks.ListCheckRunsForRef(ctx, c.owner, c.repo, sha, &github.ListCheckRunsOptions{Filter: github.String("latest"),
		ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		return fmt.Errorf("list check runs of %s: %w", shortSHA(sha), err)
	}
	cancelled := 0
	for _, cr := range res.CheckRuns {
		delivery, rule, idx, ours := actions.ParseExternalID(cr.GetExternalID())
		if !ours || cr.GetStatus() == "completed" {
			continue
		}
		out, err := h.outcomes.Outcome(ctx, delivery, rule, idx)
		if err != nil {
			errs = append(errs, fmt.Errorf("check run %q: %w", cr.GetName(), err))
			continue
		}
		if err := snap.Actions.CancelBuild(ctx, actions.ParseFollowState(out.Detail)); err != nil {
			errs = append(errs, fmt.Errorf("cancel %q: %w", cr.GetName(), err))
			continue
		}
		cancelled++
	}
	cs, _, err := c.gc.Repositories.GetCombinedStatus(ctx, c.owner, c.repo, sha, &github.ListOptions{PerPage: 100})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("read the statuses of %s: %w", shortSHA(sha), err))...)
	}
	for _, st := range cs.Statuses {
		if st.GetState() != "pending" || !strings.HasPrefix(st.GetContext(), "jenkins/") {
			continue
		}
		fs := actions.ParseFollowState(st.GetTargetURL())
		if fs.Build == "" {
			continue // queued: the status names the job, not the queue item
		}
		if err := snap.Actions.CancelBuild(ctx, fs); err != nil {
			errs = append(errs, fmt.Errorf("cancel %q: %w", st.GetContext(), err))
			continue
		}
		cancelled++
	}
	c.log.WithField("cancelled", cancelled).Info("builds cancelled by /cancel")
	return errors.Join(errs...)
}
