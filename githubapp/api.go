package githubapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/switchboard-dev/switchboard/logfield"
)

// MaxPullRequestFiles is the most files GitHub lists for one pull request
// (https://docs.github.com/rest/pulls/pulls#list-pull-requests-files). Files
// past it are not returned by the API at all, so a `paths` condition on a
// larger pull request sees only the first 3,000.
const MaxPullRequestFiles = 3000

// filesPerPage is the largest page GitHub serves.
const filesPerPage = 100

// PullRequestFiles lists the files a pull request changes, as installation
// sees them: each file's name, and for a rename also its previous name (a
// rule on the old path should still match). It pages through GitHub's
// listing 100 at a time up to MaxPullRequestFiles; when the cap is reached
// it logs a warning and complete is false (the renames' previous names do
// not count against the cap). It implements the rules package's FileLister.
func (c *Creator) PullRequestFiles(ctx context.Context, installation int64, owner, repo string, number int) (_ []string, complete bool, _ error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, false, err
	}
	gc, err := c.Installation(installation)
	if err != nil {
		return nil, false, err
	}
	var names []string
	listed := 0
	opts := &github.ListOptions{PerPage: filesPerPage, Page: 1}
	for {
		files, resp, err := gc.PullRequests.ListFiles(ctx, owner, repo, number, opts)
		if err != nil {
			return nil, false, fmt.Errorf("githubapp: list files of %s/%s#%d: %w", owner, repo, number, err)
		}
		for _, f := range files {
			names = append(names, f.GetFilename())
			if prev := f.GetPreviousFilename(); prev != "" {
				names = append(names, prev)
			}
		}
		listed += len(files)
		if resp.NextPage == 0 || listed >= MaxPullRequestFiles || len(files) == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if listed >= MaxPullRequestFiles {
		c.log.WithField(logfield.Repo, owner+"/"+repo).WithField("pull_request", number).
			Warn("pull request changes more files than GitHub lists (3,000); paths conditions see only those")
	}
	return names, listed < MaxPullRequestFiles, nil
}

// checkRepo refuses owner and repository names GitHub would never send: they
// are pasted into request paths.
func checkRepo(owner, repo string) error {
	for _, s := range []string{owner, repo} {
		if s == "" || s == "." || s == ".." {
			return fmt.Errorf("githubapp: %q is not a repository owner or name", s)
		}
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
				return fmt.Errorf("githubapp: %q is not a repository owner or name", s)
			}
		}
	}
	return nil
}

// HookDeliveries lists one page of the App's webhook delivery log, newest
// first, with the App JWT. An empty cursor starts at the newest; nextCursor
// is empty on the last page. GitHub keeps the log for 3 days.
// https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook
func (c *Creator) HookDeliveries(ctx context.Context, cursor string, perPage int) (deliveries []*github.HookDelivery, nextCursor string, err error) {
	ds, resp, err := c.app.Apps.ListHookDeliveries(ctx, &github.ListCursorOptions{Cursor: cursor, PerPage: perPage})
	if err != nil {
		return nil, "", fmt.Errorf("githubapp: list hook deliveries: %w", err)
	}
	return ds, resp.Cursor, nil
}

// Redeliver asks GitHub to deliver the event of delivery id again. GitHub
// answers 202 Accepted, which go-github reports as *github.AcceptedError:
// that is success here.
// https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook
func (c *Creator) Redeliver(ctx context.Context, id int64) error {
	_, _, err := c.app.Apps.RedeliverHookDelivery(ctx, id)
	var accepted *github.AcceptedError
	if err == nil || errors.As(err, &accepted) {
		return nil
	}
	return fmt.Errorf("githubapp: redeliver hook delivery %d: %w", id, err)
}
