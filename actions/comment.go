package actions

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// MaxCommentBody is the longest comment body GitHub takes, in characters;
// it answers 422 to a longer one.
const MaxCommentBody = 65536

// commentsPerPage is the largest page of comments GitHub serves.
const commentsPerPage = 100

// Comment comments on the event's issue or pull request as the App's
// installation (POST /repos/{owner}/{repo}/issues/{number}/comments).
//
// Posting a comment is not idempotent, so every comment carries a hidden
// key of its job, CommentMarker: "<!-- switchboard:DELIVERY/RULE/INDEX -->"
// at its end. The rule: when an attempt may have posted without hearing
// back (no answer, a timeout, a 5xx, or a process that died mid-call), it
// is reported as unconfirmed, and the next attempt (ctx marked
// WithInterrupted) first lists the comments, newest page first, and posts
// only when no comment by a bot carries the key. A first attempt, or one
// after a definite refusal such as a rate limit, posts without listing:
// the listing costs a request per 100 comments, and nothing can be there.
type Comment struct {
	gh *gitHub
}

// CommentMarker returns the hidden key that marks job's comment. Each part
// is path-escaped, so a rule name can neither end the HTML comment nor
// blur where one part stops and the next begins.
func CommentMarker(job *Job) string {
	return fmt.Sprintf("<!-- switchboard:%s/%s/%d -->", url.PathEscape(job.Delivery), url.PathEscape(job.Rule), job.Index)
}

// commentBody is the body with its marker, the body cut so that the whole
// fits GitHub's limit.
func commentBody(body, marker string) string {
	const sep = "\n\n"
	room := MaxCommentBody - utf8.RuneCountInString(marker) - len(sep)
	return truncate(body, room) + sep + marker
}

// Run posts job.Comment.Body with its marker, or, on an attempt after one
// that may have posted, finds that comment and posts nothing.
func (c *Comment) Run(ctx context.Context, job *Job) (Result, error) {
	if job.Comment == nil {
		return Result{}, errMissingFields("comment")
	}
	if strings.TrimSpace(job.Comment.Body) == "" {
		return Result{}, Permanentf("github: the rendered comment is empty")
	}
	t := job.Target
	gc, err := c.gh.client(t, true)
	if err != nil {
		return Result{}, err
	}
	where := fmt.Sprintf("%s/%s#%d", t.Owner, t.Repo, t.Number)
	marker := CommentMarker(job)

	if Interrupted(ctx) {
		found, err := c.find(ctx, gc, t, marker)
		if err != nil {
			err = gitHubError("list comments of "+where, err, c.gh.now())
			if Classify(err).Outcome == PermanentFailure {
				return Result{}, err
			}
			// Still unsure whether the earlier attempt posted: the next
			// attempt must look again.
			return Result{}, &UnconfirmedError{Service: "github", Err: err}
		}
		if found != nil {
			return Result{Detail: found.GetHTMLURL(), Message: "found the comment an earlier attempt posted on " + where}, nil
		}
	}

	body := commentBody(job.Comment.Body, marker)
	created, _, err := gc.Issues.CreateComment(ctx, t.Owner, t.Repo, t.Number, &github.IssueComment{Body: &body})
	if err != nil {
		err = gitHubError("comment on "+where, err, c.gh.now())
		if mayHavePosted(err) {
			return Result{}, &UnconfirmedError{Service: "github", Err: err}
		}
		return Result{}, err
	}
	return Result{Detail: created.GetHTMLURL(), Message: "commented on " + where}, nil
}

// mayHavePosted reports whether a failed post may still have created the
// comment: anything retried except a rate limit, which GitHub answers
// before it acts.
func mayHavePosted(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) && he.RateLimited {
		return false
	}
	return Classify(err).Outcome == Retry
}

// find looks for a comment by a bot that carries marker: page 1 (which
// tells how many pages there are), then the others from the last, the
// newest, backwards, since an earlier attempt's comment is most likely
// among the latest.
func (c *Comment) find(ctx context.Context, gc *github.Client, t Target, marker string) (*github.IssueComment, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: commentsPerPage, Page: 1}}
	page, resp, err := gc.Issues.ListComments(ctx, t.Owner, t.Repo, t.Number, opts)
	if err != nil {
		return nil, err
	}
	if cm := marked(page, marker); cm != nil {
		return cm, nil
	}
	for p := resp.LastPage; p > 1; p-- {
		opts.Page = p
		page, _, err := gc.Issues.ListComments(ctx, t.Owner, t.Repo, t.Number, opts)
		if err != nil {
			return nil, err
		}
		if cm := marked(page, marker); cm != nil {
			return cm, nil
		}
	}
	return nil, nil
}

// marked returns the comment in page written by a bot (an App acts as one)
// whose body carries marker. A person who pastes the marker into a comment
// of their own does not stop the App from posting.
func marked(page []*github.IssueComment, marker string) *github.IssueComment {
	for _, cm := range page {
		if cm.GetUser().GetType() == "Bot" && strings.Contains(cm.GetBody(), marker) {
			return cm
		}
	}
	return nil
}
