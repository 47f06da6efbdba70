package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/switchboard-dev/switchboard/githubapp"
)

// gitHub is what the comment, label and status runners share: installation
// clients from the App's Creator, and the mapping of GitHub's answers into
// the error types Classify reads.
type gitHub struct {
	creator *githubapp.Creator
	now     func() time.Time
}

// client returns the installation client for t. A target without an
// installation or repository is a permanent error: the event carried none,
// and no retry brings one. needNumber also asks for an issue or pull request.
func (g *gitHub) client(t Target, needNumber bool) (*github.Client, error) {
	switch {
	case t.Installation <= 0:
		return nil, Permanentf("github: the event carries no App installation to act as")
	case t.Owner == "" || t.Repo == "":
		return nil, Permanentf("github: the event names no repository")
	case needNumber && t.Number <= 0:
		return nil, Permanentf("github: the event names no issue or pull request")
	}
	gc, err := g.creator.Installation(t.Installation)
	if err != nil {
		return nil, Permanent(err)
	}
	return gc, nil
}

// gitHubError maps an error from a go-github call into the types Classify
// decides on, so that there is one classification for every service:
//
//   - a rate limit (primary or secondary; 403 or 429 with Retry-After, or
//     with X-RateLimit-Remaining: 0 and X-RateLimit-Reset; and go-github's
//     own refusal to call before a known reset) becomes an HTTPError marked
//     RateLimited, retried after the time GitHub stated, counted from now;
//   - any other answer becomes an HTTPError with GitHub's status and message
//     (5xx is retried; 404, 422 and the other 4xx are permanent);
//   - no answer at all (network trouble, a timeout) is returned as it came,
//     the URL cut to its host, for Classify to retry.
//
// what names the call for the message ("create status on acme/app@abc").
func gitHubError(what string, err error, now time.Time) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("github: %s: %w", what, err)
	}
	status := githubapp.StatusCode(err)
	msg := githubapp.Message(err)
	if status == 0 {
		return fmt.Errorf("github: %s: %w", what, redactURLError(err))
	}
	var (
		primary   *github.RateLimitError
		secondary *github.AbuseRateLimitError
	)
	limited := errors.As(err, &primary) || errors.As(err, &secondary) ||
		status == http.StatusForbidden || status == http.StatusTooManyRequests
	after, stated := githubapp.RetryAfter(err, now)
	body := what
	if msg != "" {
		body += ": " + credentialRE.ReplaceAllString(msg, "<secret>")
	}
	e := &HTTPError{Service: "github", Status: status, Body: truncate(body, maxErrorBody)}
	switch {
	case limited && stated:
		e.RateLimited, e.RetryAfter = true, after
	case stated:
		// A Retry-After on another answer (a 503): honoured if Classify
		// retries the status at all.
		e.RetryAfter = after
	}
	return e
}

// credentialRE matches what a GitHub credential looks like: an App JWT
// (three base64url parts, the first starting with eyJ) or a token with
// GitHub's prefixes. GitHub never echoes credentials; a proxy in front of
// it, or a wrong api_url, might.
var credentialRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|\bgh[pousr]_[A-Za-z0-9_]{16,}|\bv1\.[0-9a-f]{40}\b`)

// isNotFound reports whether GitHub answered err with 404.
func isNotFound(err error) bool {
	return githubapp.StatusCode(err) == http.StatusNotFound
}
