package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/config"
)

func TestClassify(t *testing.T) {
	tests := map[string]struct {
		err          error
		want         Outcome
		after        time.Duration
		mayHaveActed bool
	}{
		"nil is success":                {err: nil, want: Success},
		"permanent wrapper":             {err: Permanentf("template: bad"), want: PermanentFailure},
		"permanent wraps a 503":         {err: Permanent(&HTTPError{Service: "http", Status: 503}), want: PermanentFailure},
		"wrapped permanent":             {err: fmt.Errorf("ctx: %w", Permanentf("x")), want: PermanentFailure},
		"context canceled (shutdown)":   {err: context.Canceled, want: Retry},
		"canceled inside url.Error":     {err: &url.Error{Op: "Post", URL: "u", Err: context.Canceled}, want: Retry},
		"deadline exceeded":             {err: context.DeadlineExceeded, want: Retry},
		"connection refused":            {err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, want: Retry},
		"bare ECONNRESET":               {err: fmt.Errorf("read: %w", syscall.ECONNRESET), want: Retry},
		"unexpected EOF":                {err: io.ErrUnexpectedEOF, want: Retry},
		"HTTP 408":                      {err: &HTTPError{Status: 408}, want: Retry},
		"HTTP 429 with Retry-After":     {err: &HTTPError{Status: 429, RetryAfter: 7 * time.Second}, want: Retry, after: 7 * time.Second},
		"HTTP 500":                      {err: &HTTPError{Status: 500}, want: Retry},
		"Jenkins 503":                   {err: &HTTPError{Service: "jenkins", Status: 503, RetryAfter: 30 * time.Second}, want: Retry, after: 30 * time.Second},
		"HTTP 400":                      {err: &HTTPError{Status: 400}, want: PermanentFailure},
		"HTTP 401":                      {err: &HTTPError{Status: 401}, want: PermanentFailure},
		"HTTP 403":                      {err: &HTTPError{Status: 403}, want: PermanentFailure},
		"GitHub 403 rate limited":       {err: &HTTPError{Service: "github", Status: 403, RateLimited: true, RetryAfter: time.Hour}, want: Retry, after: time.Hour},
		"rate limit, reset passed":      {err: &HTTPError{Service: "github", Status: 403, RateLimited: true}, want: Retry},
		"GitHub 422":                    {err: &HTTPError{Service: "github", Status: 422, Body: "Validation Failed"}, want: PermanentFailure},
		"HTTP 404":                      {err: &HTTPError{Status: 404}, want: PermanentFailure},
		"HTTP 302":                      {err: &HTTPError{Status: 302}, want: PermanentFailure},
		"slack rate limited":            {err: &slack.RateLimitedError{RetryAfter: 3 * time.Second}, want: Retry, after: 3 * time.Second},
		"slack status 429, no header":   {err: slack.StatusCodeError{Code: 429, Status: "429"}, want: Retry},
		"slack status 503":              {err: slack.StatusCodeError{Code: 503, Status: "503"}, want: Retry},
		"slack status 404":              {err: slack.StatusCodeError{Code: 404, Status: "404"}, want: PermanentFailure},
		"slack ratelimited code":        {err: slack.SlackErrorResponse{Err: "ratelimited"}, want: Retry},
		"slack internal_error":          {err: slack.SlackErrorResponse{Err: "internal_error"}, want: Retry},
		"slack channel_not_found":       {err: slack.SlackErrorResponse{Err: "channel_not_found"}, want: PermanentFailure},
		"slack not_in_channel":          {err: slack.SlackErrorResponse{Err: "not_in_channel"}, want: PermanentFailure},
		"slack invalid_auth":            {err: slack.SlackErrorResponse{Err: "invalid_auth"}, want: PermanentFailure},
		"slack invalid_blocks":          {err: slack.SlackErrorResponse{Err: "invalid_blocks"}, want: PermanentFailure},
		"slack is_archived":             {err: slack.SlackErrorResponse{Err: "is_archived"}, want: PermanentFailure},
		"slack msg_too_long":            {err: slack.SlackErrorResponse{Err: "msg_too_long"}, want: PermanentFailure},
		"slack no_text":                 {err: slack.SlackErrorResponse{Err: "no_text"}, want: PermanentFailure},
		"slack webhook 404":             {err: &HTTPError{Service: "slack", Status: 404, Body: "channel_not_found"}, want: PermanentFailure},
		"slack webhook 410":             {err: &HTTPError{Service: "slack", Status: 410, Body: "channel_is_archived"}, want: PermanentFailure},
		"unconfirmed network error":     {err: &UnconfirmedError{Service: "jenkins", Err: io.EOF}, want: Retry, mayHaveActed: true},
		"unconfirmed keeps Retry-After": {err: &UnconfirmedError{Service: "jenkins", Err: &HTTPError{Status: 503, RetryAfter: time.Minute}}, want: Retry, after: time.Minute, mayHaveActed: true},
		"permanent unconfirmed":         {err: Permanent(&UnconfirmedError{Service: "jenkins", Err: io.EOF}), want: PermanentFailure},
		"unknown error retries":         {err: errors.New("something odd"), want: Retry},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := Classify(tc.err)
			if v.Outcome != tc.want || v.After != tc.after || v.MayHaveActed != tc.mayHaveActed {
				t.Fatalf("Classify(%v) = %+v, want outcome %v after %v mayHaveActed %v", tc.err, v, tc.want, tc.after, tc.mayHaveActed)
			}
			if tc.err != nil && v.Reason == "" {
				t.Errorf("Classify(%v) gave no reason", tc.err)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	r := config.Retry{InitialBackoff: config.Duration(time.Second), MaxBackoff: config.Duration(10 * time.Minute)}
	tests := map[string]struct {
		retry   config.Retry
		attempt int
		jitter  func() float64
		want    time.Duration
	}{
		"first attempt is the initial backoff": {retry: r, attempt: 1, want: time.Second},
		"doubles":                              {retry: r, attempt: 2, want: 2 * time.Second},
		"doubles again":                        {retry: r, attempt: 4, want: 8 * time.Second},
		"capped at max":                        {retry: r, attempt: 11, want: 10 * time.Minute},
		"huge attempt stays capped":            {retry: r, attempt: 10000, want: 10 * time.Minute},
		"attempt 0 counts as the first":        {retry: r, attempt: 0, want: time.Second},
		"zero config uses the defaults":        {retry: config.Retry{}, attempt: 3, want: 4 * time.Second},
		"initial above max is capped":          {retry: config.Retry{InitialBackoff: config.Duration(time.Hour), MaxBackoff: config.Duration(time.Minute)}, attempt: 1, want: time.Minute},
		"jitter 0 halves":                      {retry: r, attempt: 4, jitter: func() float64 { return 0 }, want: 4 * time.Second},
		"jitter 0.5 is three quarters":         {retry: r, attempt: 4, jitter: func() float64 { return 0.5 }, want: 6 * time.Second},
		"jitter never exceeds the cap":         {retry: r, attempt: 50, jitter: func() float64 { return 0.999999 }, want: 5*time.Minute + time.Duration(float64(5*time.Minute)*0.999999)},
		"out-of-range jitter is ignored":       {retry: r, attempt: 2, jitter: func() float64 { return 7 }, want: time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Backoff(tc.retry, tc.attempt, tc.jitter); got != tc.want {
				t.Fatalf("Backoff(attempt %d) = %v, want %v", tc.attempt, got, tc.want)
			}
		})
	}
}

func TestVerdictDelayPrefersRetryAfter(t *testing.T) {
	r := config.Retry{InitialBackoff: config.Duration(time.Second), MaxBackoff: config.Duration(time.Minute)}
	tests := map[string]struct {
		v    Verdict
		want time.Duration
	}{
		"Retry-After wins":       {v: Verdict{Outcome: Retry, After: 42 * time.Second}, want: 42 * time.Second},
		"else backoff":           {v: Verdict{Outcome: Retry}, want: 4 * time.Second},
		"Retry-After beyond max": {v: Verdict{Outcome: Retry, After: time.Hour}, want: time.Hour},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.v.Delay(r, 3, nil); got != tc.want {
				t.Fatalf("Delay = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		header string
		want   time.Duration
	}{
		"empty":         {"", 0},
		"seconds":       {"30", 30 * time.Second},
		"spaces":        {" 5 ", 5 * time.Second},
		"zero":          {"0", 0},
		"negative":      {"-3", 0},
		"bogus":         {"soon", 0},
		"absurd":        {"999999999", 24 * time.Hour},
		"HTTP date":     {now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		"date in past":  {now.Add(-time.Minute).Format(http.TimeFormat), 0},
		"RFC 850 style": {now.Add(2 * time.Minute).Format("Monday, 02-Jan-06 15:04:05 GMT"), 2 * time.Minute},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := parseRetryAfter(tc.header, now); got != tc.want {
				t.Fatalf("parseRetryAfter(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}

func TestOutcomeString(t *testing.T) {
	tests := map[string]struct {
		o    Outcome
		want string
	}{
		"success":   {Success, "success"},
		"retry":     {Retry, "retry"},
		"permanent": {PermanentFailure, "permanent"},
		"unknown":   {Outcome(9), "Outcome(9)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.o.String(); got != tc.want {
				t.Fatalf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}
