package githubapp

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

// SecondaryRateLimitWait is how long to wait after a secondary rate limit
// that states no time: GitHub's docs say "wait for at least one minute".
// https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
const SecondaryRateLimitWait = time.Minute

// maxMessage bounds Message's result for logs and recorded outcomes.
const maxMessage = 1024

// RetryAfter reports how long GitHub asked the caller to wait, counted from
// now, and whether err carries such a request at all:
//   - a primary rate limit (*github.RateLimitError): until X-RateLimit-Reset;
//   - a secondary rate limit (*github.AbuseRateLimitError): Retry-After
//     seconds, else X-RateLimit-Reset, else SecondaryRateLimitWait;
//   - any other GitHub error answer (*github.ErrorResponse): its Retry-After
//     (seconds or an HTTP date), or for 403/429 with X-RateLimit-Remaining: 0
//     its X-RateLimit-Reset; a bare 429, or a 403 whose message says it is
//     a secondary rate limit, waits SecondaryRateLimitWait.
//
// A reset already past gives 0. Whether to retry is for the caller to decide.
func RetryAfter(err error, now time.Time) (time.Duration, bool) {
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		if !rl.Rate.Reset.Time.IsZero() {
			return max(0, rl.Rate.Reset.Time.Sub(now)), true
		}
		if d, ok := fromHeaders(rl.Response, now); ok {
			return d, true
		}
		return SecondaryRateLimitWait, true
	}
	var ab *github.AbuseRateLimitError
	if errors.As(err, &ab) {
		if d, ok := fromHeaders(ab.Response, now); ok {
			return d, true
		}
		if ab.RetryAfter != nil {
			return max(0, *ab.RetryAfter), true
		}
		return SecondaryRateLimitWait, true
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		if d, ok := fromHeaders(er.Response, now); ok {
			return d, true
		}
		if er.Response.StatusCode == http.StatusTooManyRequests {
			return SecondaryRateLimitWait, true
		}
		// go-github knows a secondary limit by its documentation URL; should
		// GitHub move that page, its message still says what it is.
		if er.Response.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(er.Message), "secondary rate limit") {
			return SecondaryRateLimitWait, true
		}
	}
	return 0, false
}

// fromHeaders reads Retry-After, or a spent rate limit's reset time.
func fromHeaders(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	h := resp.Header
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(0, t.Sub(now)), true
		}
	}
	limited := resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests
	if limited && strings.TrimSpace(h.Get("X-RateLimit-Remaining")) == "0" {
		if reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); err == nil {
			return max(0, time.Unix(reset, 0).Sub(now)), true
		}
	}
	return 0, false
}

// StatusCode returns the HTTP status of GitHub's answer carried by err (202
// for *github.AcceptedError), or 0 when no answer came (network error,
// timeout, or an error of another kind).
func StatusCode(err error) int {
	var (
		accepted *github.AcceptedError
		rl       *github.RateLimitError
		ab       *github.AbuseRateLimitError
		er       *github.ErrorResponse
		tf       *github.TwoFactorAuthError
		he       *ghinstallation.HTTPError
	)
	switch {
	case errors.As(err, &accepted):
		return http.StatusAccepted
	case errors.As(err, &rl):
		return statusOf(rl.Response)
	case errors.As(err, &ab):
		return statusOf(ab.Response)
	case errors.As(err, &er):
		return statusOf(er.Response)
	case errors.As(err, &tf):
		return statusOf(tf.Response)
	case errors.As(err, &he):
		return statusOf(he.Response)
	}
	return 0
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}

// Message returns what GitHub said in its error body: the message and the
// detail of each field error ("Validation Failed: state: state is not
// included in the list"), bounded in length. It is "" when err carries no
// GitHub answer. It never holds a credential: GitHub does not echo them and
// no request detail is included.
func Message(err error) string {
	var (
		rl *github.RateLimitError
		ab *github.AbuseRateLimitError
		er *github.ErrorResponse
		tf *github.TwoFactorAuthError
	)
	var msg string
	switch {
	case errors.As(err, &rl):
		msg = rl.Message
	case errors.As(err, &ab):
		msg = ab.Message
	case errors.As(err, &er):
		msg = responseMessage(er)
	case errors.As(err, &tf):
		msg = responseMessage((*github.ErrorResponse)(tf))
	}
	if len(msg) > maxMessage {
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "..."
	}
	return msg
}

func responseMessage(er *github.ErrorResponse) string {
	parts := []string{er.Message}
	for _, e := range er.Errors {
		switch {
		case e.Message != "" && e.Field != "":
			parts = append(parts, e.Field+": "+e.Message)
		case e.Message != "":
			parts = append(parts, e.Message)
		default:
			parts = append(parts, fmt.Sprintf("%s %s %s", e.Resource, e.Field, e.Code))
		}
	}
	if er.Block != nil && er.Block.Reason != "" {
		parts = append(parts, "blocked: "+er.Block.Reason)
	}
	return strings.Join(parts, ": ")
}
