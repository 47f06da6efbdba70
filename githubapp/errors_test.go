package githubapp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
)

func createStatus(e *env, state string) error {
	gc, err := e.c.Installation(5)
	if err != nil {
		return err
	}
	_, _, err = gc.Repositories.CreateStatus(context.Background(), "acme", "widgets", "abc",
		&github.RepoStatus{State: github.String(state), Context: github.String("ci")})
	return err
}

// TestRateLimitShapesFromGitHub drives each of GitHub's rate-limit answers
// through go-github and checks what RetryAfter, StatusCode and Message read.
func TestRateLimitShapesFromGitHub(t *testing.T) {
	const statuses = "POST /repos/acme/widgets/statuses/abc"
	// X-RateLimit-Reset has whole seconds.
	reset := time.Unix(time.Now().Add(time.Hour).Unix(), 0)
	now := reset.Add(-90 * time.Second)

	tests := map[string]struct {
		arm     func(*fakegithub.Server)
		state   string
		wantOK  bool
		wait    time.Duration
		status  int
		message string
	}{
		"primary 403": {
			arm:    func(s *fakegithub.Server) { s.RateLimit(statuses, 1, 403, reset) },
			wantOK: true, wait: 90 * time.Second, status: 403, message: "API rate limit exceeded for installation ID 5.",
		},
		"primary 429": {
			arm:    func(s *fakegithub.Server) { s.RateLimit(statuses, 1, 429, reset) },
			wantOK: true, wait: 90 * time.Second, status: 429, message: "API rate limit exceeded",
		},
		"secondary 403 with Retry-After": {
			arm:    func(s *fakegithub.Server) { s.SecondaryRateLimit(statuses, 1, 403, 30*time.Second) },
			wantOK: true, wait: 30 * time.Second, status: 403, message: "secondary rate limit",
		},
		"secondary 403 without Retry-After waits a minute": {
			arm:    func(s *fakegithub.Server) { s.SecondaryRateLimit(statuses, 1, 403, 0) },
			wantOK: true, wait: time.Minute, status: 403, message: "secondary rate limit",
		},
		"secondary 429 with Retry-After": {
			arm:    func(s *fakegithub.Server) { s.SecondaryRateLimit(statuses, 1, 429, 17*time.Second) },
			wantOK: true, wait: 17 * time.Second, status: 429, message: "secondary rate limit",
		},
		"secondary 429 without Retry-After waits a minute": {
			arm:    func(s *fakegithub.Server) { s.SecondaryRateLimit(statuses, 1, 429, 0) },
			wantOK: true, wait: time.Minute, status: 429, message: "secondary rate limit",
		},
		"token exchange rate limited": {
			arm:    func(s *fakegithub.Server) { s.RateLimit("POST /app/installations/5/access_tokens", 1, 403, reset) },
			wantOK: true, wait: 90 * time.Second, status: 403, message: "API rate limit exceeded for app ID",
		},
		"not found is no rate limit": {
			arm:    func(s *fakegithub.Server) { s.Fail(statuses, 1, 404, "Not Found") },
			wantOK: false, status: 404, message: "Not Found",
		},
		"forbidden is no rate limit": {
			arm:    func(s *fakegithub.Server) { s.Fail(statuses, 1, 403, "Resource not accessible by integration") },
			wantOK: false, status: 403, message: "Resource not accessible by integration",
		},
		"validation failed": {
			state:  "green",
			wantOK: false, status: 422, message: "Validation Failed: state: state is not included in the list",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			if tc.arm != nil {
				tc.arm(e.gh)
			}
			state := tc.state
			if state == "" {
				state = "success"
			}
			err := createStatus(e, state)
			if err == nil {
				t.Fatal("call succeeded; want GitHub's error")
			}
			wait, ok := githubapp.RetryAfter(err, now)
			if ok != tc.wantOK || wait != tc.wait {
				t.Errorf("RetryAfter = %v, %v; want %v, %v (err: %v)", wait, ok, tc.wait, tc.wantOK, err)
			}
			if got := githubapp.StatusCode(err); got != tc.status {
				t.Errorf("StatusCode = %d, want %d", got, tc.status)
			}
			if got := githubapp.Message(err); !strings.Contains(got, tc.message) {
				t.Errorf("Message = %q, want it to contain %q", got, tc.message)
			}
			if n := len(e.gh.Statuses("acme", "widgets", "abc")); n != 0 {
				t.Errorf("%d statuses created by a refused call", n)
			}
			assertNoSecret(t, err.Error(), e.key, tokens(e.gh)...)
		})
	}
}

// TestPrimaryRateLimitIsNotHammered: after a primary rate limit, go-github
// answers from memory until the reset, and RetryAfter still reads the reset.
func TestPrimaryRateLimitIsNotHammered(t *testing.T) {
	e := newEnv(t, nil, nil)
	reset := time.Unix(time.Now().Add(time.Hour).Unix(), 0)
	e.gh.RateLimit("/repos/acme/widgets/statuses/abc", 5, 403, reset)
	for range 3 {
		err := createStatus(e, "success")
		if wait, ok := githubapp.RetryAfter(err, reset.Add(-time.Minute)); !ok || wait != time.Minute {
			t.Fatalf("RetryAfter = %v, %v; want 1m, true (err: %v)", wait, ok, err)
		}
	}
	if n := e.gh.Count("/repos/acme/widgets/statuses/abc"); n != 1 {
		t.Fatalf("GitHub saw %d calls, want 1: the others must wait for the reset", n)
	}
}

func TestRetryAfterReadsHeaders(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	resp := func(status int, h map[string]string) *http.Response {
		r := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")),
			Request: &http.Request{Method: "GET", URL: &url.URL{Scheme: "https", Host: "api.github.com", Path: "/x"}}}
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	secs := func(d time.Duration) *time.Duration { return &d }
	tests := map[string]struct {
		err    error
		wait   time.Duration
		ok     bool
		status int
	}{
		"Retry-After as HTTP date": {
			err:  &github.ErrorResponse{Response: resp(503, map[string]string{"Retry-After": now.Add(45 * time.Second).Format(http.TimeFormat)})},
			wait: 45 * time.Second, ok: true, status: 503,
		},
		"reset already past": {
			err:  &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(-time.Minute)}}, Response: resp(403, nil)},
			wait: 0, ok: true, status: 403,
		},
		"remaining 0 on a 429 error response": {
			err:  &github.ErrorResponse{Response: resp(429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(now.Add(2 * time.Minute).Unix())})},
			wait: 2 * time.Minute, ok: true, status: 429,
		},
		"remaining 0 on a 404 is no rate limit": {
			err: &github.ErrorResponse{Response: resp(404, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": fmt.Sprint(now.Unix())})},
			ok:  false, status: 404,
		},
		"secondary known only by its message": {
			err: &github.ErrorResponse{Response: resp(403, nil),
				Message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
			wait: githubapp.SecondaryRateLimitWait, ok: true, status: 403,
		},
		"another 403 is no rate limit": {
			err: &github.ErrorResponse{Response: resp(403, nil), Message: "Resource not accessible by integration"},
			ok:  false, status: 403,
		},
		"secondary from go-github's memory": {
			err:  &github.AbuseRateLimitError{Response: resp(403, nil), RetryAfter: secs(12 * time.Second)},
			wait: 12 * time.Second, ok: true, status: 403,
		},
		"secondary with reset header": {
			err:  &github.AbuseRateLimitError{Response: resp(403, map[string]string{"X-RateLimit-Reset": fmt.Sprint(now.Add(5 * time.Second).Unix()), "X-RateLimit-Remaining": "0"})},
			wait: 5 * time.Second, ok: true, status: 403,
		},
		"wrapped": {
			err:  fmt.Errorf("comment: %w", &github.ErrorResponse{Response: resp(429, map[string]string{"Retry-After": "3"})}),
			wait: 3 * time.Second, ok: true, status: 429,
		},
		"network error": {err: &url.Error{Op: "Post", URL: "https://api.github.com/x", Err: errors.New("connection refused")}},
		"accepted":      {err: &github.AcceptedError{}, status: 202},
		"nil":           {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			wait, ok := githubapp.RetryAfter(tc.err, now)
			if wait != tc.wait || ok != tc.ok {
				t.Errorf("RetryAfter = %v, %v; want %v, %v", wait, ok, tc.wait, tc.ok)
			}
			if got := githubapp.StatusCode(tc.err); got != tc.status {
				t.Errorf("StatusCode = %d, want %d", got, tc.status)
			}
		})
	}
}

func TestMessageIsBounded(t *testing.T) {
	long := strings.Repeat("é", 2000)
	got := githubapp.Message(&github.ErrorResponse{Message: long, Response: &http.Response{StatusCode: 422}})
	if len(got) > 1100 || !strings.HasSuffix(got, "...") || !strings.HasPrefix(got, "éé") {
		t.Fatalf("Message gave %d bytes: %q...", len(got), got[:20])
	}
	if githubapp.Message(errors.New("plain")) != "" {
		t.Error("Message of a non-GitHub error is not empty")
	}
}

// tokens lists the installation tokens the fake issued.
func tokens(s *fakegithub.Server) []string {
	var out []string
	for _, x := range s.TokenExchanges() {
		out = append(out, x.Token)
	}
	return out
}
