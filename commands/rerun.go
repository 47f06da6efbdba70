package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/pipeline"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// RerunText is what the delivery history says of a job a re-run request
// from the Checks tab queued.
func RerunText(check, sender string) string {
	return fmt.Sprintf("re-run of %s requested from the Checks tab by %s", check, sender)
}

// rerunCheck answers check_run.rerequested: the check run's action runs
// again for the same SHA, as a job of this delivery (a new build, a new
// check run). Check runs Switchboard did not create are not its business.
func (h *Handler) rerunCheck(ctx context.Context, ev *rules.Event) ([]actions.Job, error) {
	cr, _ := ev.Payload()["check_run"].(map[string]any)
	ext, _ := cr["external_id"].(string)
	name, _ := cr["name"].(string)
	job, err := h.again(ctx, ev, ext, name)
	if job == nil || err != nil {
		return nil, err
	}
	return []actions.Job{*job}, nil
}

// rerunSuite answers check_suite.rerequested: every action that reported
// a check run in the suite runs again (the latest run of each name).
func (h *Handler) rerunSuite(ctx context.Context, ev *rules.Event) ([]actions.Job, error) {
	cs, _ := ev.Payload()["check_suite"].(map[string]any)
	id := int64Of(cs["id"])
	if id <= 0 {
		return nil, nil
	}
	gc, err := h.gh.Installation(ev.Installation)
	if err != nil {
		return nil, err
	}
	opts := &github.ListCheckRunsOptions{Filter: github.String("latest"), ListOptions: github.ListOptions{PerPage: 100}}
	var runs []*github.CheckRun
	for page := 0; page < 10; page++ {
		res, resp, err := gc.Checks.ListCheckRunsCheckSuite(ctx, ev.Repository.Owner, ev.Repository.Name, id, opts)
		if err != nil {
			if retryable(err) {
				return nil, &pipeline.RetryableError{Err: fmt.Errorf("list the check runs of suite %d: %w", id, err)}
			}
			return nil, fmt.Errorf("list the check runs of suite %d: %w", id, err)
		}
		runs = append(runs, res.CheckRuns...)
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	var (
		jobs []actions.Job
		errs []error
		seen = map[string]bool{}
	)
	for _, cr := range runs {
		job, err := h.again(ctx, ev, cr.GetExternalID(), cr.GetName())
		var re *pipeline.RetryableError
		if errors.As(err, &re) {
			return nil, err
		}
		errs = append(errs, err)
		if job == nil {
			continue
		}
		k := fmt.Sprintf("%s\x00%d", job.Rule, job.Index)
		if seen[k] {
			continue
		}
		seen[k] = true
		jobs = append(jobs, *job)
	}
	return jobs, errors.Join(errs...)
}

// again is the action of check run external_id ext, to run again as a job
// of ev; nil for a check run Switchboard did not create.
func (h *Handler) again(ctx context.Context, ev *rules.Event, ext, name string) (*actions.Job, error) {
	delivery, rule, idx, ours := actions.ParseExternalID(ext)
	if !ours {
		return nil, nil
	}
	log := h.log.WithFields(logrus.Fields{logfield.Delivery: ev.Delivery, logfield.Repo: ev.Repository.FullName, logfield.Rule: rule, "check": name})
	out, err := h.outcomes.Outcome(ctx, delivery, rule, idx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("check run %q: its action (delivery %s) is no longer recorded; push again or use /build", name, delivery)
	case err != nil:
		return nil, &pipeline.RetryableError{Err: fmt.Errorf("check run %q: %w", name, err)}
	}
	st := actions.ParseFollowState(out.Detail)
	if st.Job == nil {
		return nil, fmt.Errorf("check run %q: the recorded build does not say which action it was", name)
	}
	job := *st.Job
	job.Delivery, job.Event = ev.Delivery, ev.Event
	job.Supersede = nil
	job.Why = RerunText(name, ev.Sender)
	log.Info(job.Why)
	return &job, nil
}
