package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/config"
)

// Outcome is what becomes of an action after an attempt.
type Outcome int

// The outcomes of an attempt.
const (
	Success          Outcome = iota // done
	Retry                           // try again after a delay (Verdict.Delay)
	PermanentFailure                // failed; no retry can help
)

// String names o as it appears in logs and the outcome table.
func (o Outcome) String() string {
	switch o {
	case Success:
		return "success"
	case Retry:
		return "retry"
	case PermanentFailure:
		return "permanent"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Verdict is the classification of one attempt's error.
type Verdict struct {
	Outcome Outcome
	// After is the delay the service asked for (Retry-After); 0 when it gave
	// none, and the caller then uses Backoff. Only set with Retry.
	After time.Duration
	// Reason says briefly why, e.g. "HTTP 503", "slack: channel_not_found".
	Reason string
	// MayHaveActed is set when the request reached the service and no answer
	// came back: the next attempt must run WithInterrupted, so a runner whose
	// effect is not idempotent checks before acting again.
	MayHaveActed bool
}

// Delay is how long to wait before the next attempt: After when the service
// said so, else Backoff.
func (v Verdict) Delay(r config.Retry, attempt int, jitter func() float64) time.Duration {
	if v.After > 0 {
		return v.After
	}
	return Backoff(r, attempt, jitter)
}

// slackRetryable reports whether a Slack Web API error code is one a later
// attempt can get past (https://api.slack.com/methods/chat.postMessage#errors).
// Every other code (channel_not_found, not_in_channel, invalid_auth,
// invalid_blocks, is_archived, msg_too_long, no_text, ...) is permanent.
func slackRetryable(code string) bool {
	switch code {
	case "ratelimited", "rate_limited", "internal_error", "fatal_error",
		"service_unavailable", "request_timeout",
		"team_added_to_org": // the workspace is migrating; the API is intermittently down
		return true
	}
	return false
}

// Classify is the one place that decides what an action's error means:
// success (nil), retry later (network trouble, timeouts, 408, 429, 5xx, Slack
// and GitHub rate limits, an interrupted context), or permanent failure (other 4xx,
// Slack's permanent error codes, anything wrapped with Permanent). An error it does
// not recognise is retried: max_attempts bounds the cost of being wrong.
func Classify(err error) Verdict {
	if err == nil {
		return Verdict{Outcome: Success}
	}
	var (
		perm     *PermanentError
		unconf   *UnconfirmedError
		httpErr  *HTTPError
		rateErr  *slack.RateLimitedError
		codeErr  slack.StatusCodeError
		slackErr slack.SlackErrorResponse
		netErr   net.Error
	)
	switch {
	case errors.As(err, &perm):
		return Verdict{Outcome: PermanentFailure, Reason: reasonOf(perm.Err, "permanent error")}
	case errors.As(err, &unconf):
		v := Classify(unconf.Err)
		if v.Outcome == PermanentFailure {
			return v
		}
		v.Outcome, v.MayHaveActed = Retry, true
		v.Reason += "; the request may have taken effect"
		return v
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// A shutdown or a deadline interrupted the attempt; the action itself
		// did not fail.
		return Verdict{Outcome: Retry, Reason: "interrupted"}
	case errors.As(err, &httpErr):
		if httpErr.RateLimited {
			return Verdict{Outcome: Retry, After: httpErr.RetryAfter, Reason: fmt.Sprintf("rate limited (HTTP %d)", httpErr.Status)}
		}
		return byStatus(httpErr.Status, httpErr.RetryAfter)
	case errors.As(err, &rateErr):
		return Verdict{Outcome: Retry, After: rateErr.RetryAfter, Reason: "slack: rate limited"}
	case errors.As(err, &codeErr):
		return byStatus(codeErr.Code, 0)
	case errors.As(err, &slackErr):
		if slackRetryable(slackErr.Err) {
			return Verdict{Outcome: Retry, Reason: "slack: " + slackErr.Err}
		}
		return Verdict{Outcome: PermanentFailure, Reason: "slack: " + slackErr.Err}
	case errors.As(err, &netErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return Verdict{Outcome: Retry, Reason: "network error"}
	}
	return Verdict{Outcome: Retry, Reason: "unclassified error"}
}

// byStatus classifies an HTTP status: 408, 425, 429 and 5xx are worth
// another try, any other non-2xx answer is not.
func byStatus(status int, after time.Duration) Verdict {
	reason := fmt.Sprintf("HTTP %d", status)
	switch {
	case status >= 200 && status < 300:
		return Verdict{Outcome: Success, Reason: reason}
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly,
		status == http.StatusTooManyRequests, status >= 500:
		return Verdict{Outcome: Retry, After: after, Reason: reason}
	}
	return Verdict{Outcome: PermanentFailure, Reason: reason}
}

// reasonOf names the kind of a permanent error for Verdict.Reason.
func reasonOf(err error, fallback string) string {
	var (
		httpErr  *HTTPError
		slackErr slack.SlackErrorResponse
	)
	switch {
	case errors.As(err, &httpErr):
		return fmt.Sprintf("HTTP %d", httpErr.Status)
	case errors.As(err, &slackErr):
		return "slack: " + slackErr.Err
	}
	return fallback
}

// Defaults for a zero config.Retry, the same as the config loader's.
const (
	defaultInitialBackoff = time.Second
	defaultMaxBackoff     = 10 * time.Minute
)

// Backoff is the delay before attempt+1 after attempt (1-based) failed:
// r.InitialBackoff doubled for every attempt after the first, capped at
// r.MaxBackoff, then spread by jitter into [d/2, d] so that actions that
// failed together do not retry together. jitter returns a number in [0, 1);
// nil means no jitter. A Retry-After from the service wins over this: see
// Verdict.Delay.
func Backoff(r config.Retry, attempt int, jitter func() float64) time.Duration {
	initial, limit := r.InitialBackoff.Std(), r.MaxBackoff.Std()
	if initial <= 0 {
		initial = defaultInitialBackoff
	}
	if limit <= 0 {
		limit = defaultMaxBackoff
	}
	if initial > limit {
		initial = limit
	}
	if attempt < 1 {
		attempt = 1
	}
	d := limit
	// Doubling past 62 overflows; long before that d has reached the cap.
	if attempt-1 < 62 {
		if f := float64(initial) * math.Pow(2, float64(attempt-1)); f < float64(limit) {
			d = time.Duration(f)
		}
	}
	if jitter == nil {
		return d
	}
	j := jitter()
	if j < 0 || j >= 1 || math.IsNaN(j) {
		j = 0
	}
	return d/2 + time.Duration(float64(d/2)*j)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP-date
// (RFC 9110, section 10.2.3). Anything else, or a time in the past, is 0.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // a bogus header must not park work for years
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
