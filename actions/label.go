package actions

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Label adds labels to and removes labels from the event's issue or pull
// request as the App's installation. Both halves are idempotent, so a retry
// simply does it all again: adding a label that is there changes nothing,
// and removing one that is not there is success (GitHub's 404 "Label does
// not exist"), as the product contract asks.
type Label struct {
	gh *gitHub
}

// Run adds job.Label.Add in one call
// (POST /repos/{owner}/{repo}/issues/{number}/labels), then removes each of
// job.Label.Remove
// (DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}).
func (l *Label) Run(ctx context.Context, job *Job) (Result, error) {
	if job.Label == nil {
		return Result{}, errMissingFields("label")
	}
	lj, t := job.Label, job.Target
	if len(lj.Add) == 0 && len(lj.Remove) == 0 {
		return Result{Message: "no labels to add or remove"}, nil
	}
	// Refused before anything is done, so the action is all or nothing.
	for _, name := range lj.Remove {
		if err := CheckLabelName(name); err != nil {
			return Result{}, Permanent(err)
		}
	}
	gc, err := l.gh.client(t, true)
	if err != nil {
		return Result{}, err
	}
	where := fmt.Sprintf("%s/%s#%d", t.Owner, t.Repo, t.Number)
	if len(lj.Add) > 0 {
		_, _, err := gc.Issues.AddLabelsToIssue(ctx, t.Owner, t.Repo, t.Number, lj.Add)
		if err != nil {
			return Result{}, gitHubError("add labels to "+where, err, l.gh.now())
		}
	}
	var absent []string
	for _, name := range lj.Remove {
		// go-github pastes the name into the path as it is; a label such
		// as "area/ci" or "needs review" must be one escaped segment.
		_, err := gc.Issues.RemoveLabelForIssue(ctx, t.Owner, t.Repo, t.Number, url.PathEscape(name))
		switch {
		case err == nil:
		case labelNotThere(err):
			absent = append(absent, name)
		default:
			return Result{}, gitHubError(fmt.Sprintf("remove label %q from %s", name, where), err, l.gh.now())
		}
	}
	msg := fmt.Sprintf("labels on %s: added [%s], removed [%s]", where, strings.Join(lj.Add, ", "), strings.Join(lj.Remove, ", "))
	if len(absent) > 0 {
		msg += fmt.Sprintf(" (not there: [%s])", strings.Join(absent, ", "))
	}
	return Result{Message: msg}, nil
}

// CheckLabelName refuses a label name that cannot be one path segment of
// DELETE .../labels/{name}: "." and ".." would be resolved away, turning
// the request into one on the issue's whole label list, or the issue.
func CheckLabelName(name string) error {
	if name == "." || name == ".." {
		return fmt.Errorf("label %q cannot be removed by name", name)
	}
	return nil
}

// labelNotThere reports whether err is GitHub's answer to removing a label
// the issue does not have: 404 "Label does not exist". Any other 404 (no
// such issue, a repository the App cannot see) is a failure.
func labelNotThere(err error) bool {
	var er *github.ErrorResponse
	return isNotFound(err) && errors.As(err, &er) && er.Message == "Label does not exist"
}
