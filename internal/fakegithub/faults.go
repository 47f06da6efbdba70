package fakegithub

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// faultKind is how a knob changes an answer.
type faultKind int

const (
	faultPrimary   faultKind = iota // primary rate limit
	faultSecondary                  // secondary rate limit
	faultFail                       // an error status with GitHub's body
	faultDelay                      // the normal answer, late
)

// fault is a knob armed for the next n requests that match.
type fault struct {
	match
	n          int
	kind       faultKind
	status     int
	reset      time.Time
	retryAfter time.Duration
	message    string
	delay      time.Duration
}

// match is "METHOD /path" or "/path" (any method).
type match struct{ method, path string }

func parseMatch(s string) match {
	if m, p, ok := strings.Cut(s, " "); ok {
		return match{method: strings.ToUpper(m), path: p}
	}
	return match{path: s}
}

func (m match) matches(method, path string) bool {
	return (m.method == "" || m.method == method) && m.path == path
}

func (s *Server) arm(f *fault) {
	if f.n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// RateLimit makes the next n authenticated requests matching match
// ("METHOD /path" or "/path", the path below the API base) fail as GitHub's
// primary rate limit does: status 403 or 429, X-RateLimit-Remaining: 0,
// X-RateLimit-Reset: reset (Unix seconds), and "API rate limit exceeded for
// installation ID N."
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
func (s *Server) RateLimit(match string, n int, status int, reset time.Time) {
	s.arm(&fault{match: parseMatch(match), n: n, kind: faultPrimary, status: status, reset: reset})
}

// SecondaryRateLimit makes the next n authenticated requests matching match
// fail as GitHub's secondary rate limit does: status 403 or 429, GitHub's
// message, and Retry-After in whole seconds when retryAfter > 0 (GitHub may
// leave it out; clients then wait at least a minute).
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
func (s *Server) SecondaryRateLimit(match string, n int, status int, retryAfter time.Duration) {
	s.arm(&fault{match: parseMatch(match), n: n, kind: faultSecondary, status: status, retryAfter: retryAfter})
}

// Fail makes the next n authenticated requests matching match answer status
// with GitHub's JSON error body {"message": message, "documentation_url": ...}
// and no effect.
func (s *Server) Fail(match string, n int, status int, message string) {
	s.arm(&fault{match: parseMatch(match), n: n, kind: faultFail, status: status, message: message})
}

// Delay makes the next n authenticated requests matching match take effect
// at once but answer only after d, or, when d <= 0, never: the answer waits
// until the client gives up or the server closes. It simulates a timeout
// whose request did reach GitHub.
func (s *Server) Delay(match string, n int, d time.Duration) {
	s.arm(&fault{match: parseMatch(match), n: n, kind: faultDelay, delay: d})
}

// take consumes one armed fault for this request, oldest first.
func (s *Server) take(method, path string) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.matches(method, path) {
			continue
		}
		f.n--
		if f.n <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

// faulted runs h unless an armed fault answers instead. Faults apply after
// authentication, as GitHub checks credentials first.
func (s *Server) faulted(w http.ResponseWriter, r *http.Request, c caller, h handler) {
	x := exchangeOf(r)
	f := s.take(r.Method, x.apiPath)
	if f == nil {
		s.rateHeaders(w, 4999, s.opts.Now().Add(time.Hour))
		h(w, r, c)
		return
	}
	switch f.kind {
	case faultPrimary:
		s.rateHeaders(w, 0, f.reset)
		who := fmt.Sprintf("installation ID %d", c.installation)
		if c.installation == 0 {
			who = fmt.Sprintf("app ID %d", s.opts.AppID)
		}
		writeError(w, f.status, "API rate limit exceeded for "+who+".", docRateLimits)
	case faultSecondary:
		if f.retryAfter > 0 {
			secs := int64((f.retryAfter + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		}
		writeError(w, f.status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "+
			"If you reach out to GitHub Support for help, please include the request ID "+requestID(x)+".", docSecondary)
	case faultFail:
		writeError(w, f.status, f.message, docREST)
	case faultDelay:
		x.hold = f
		s.rateHeaders(w, 4999, s.opts.Now().Add(time.Hour))
		h(w, r, c)
	}
}

// rateHeaders sets GitHub's rate-limit headers for an authenticated answer.
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#checking-the-status-of-your-rate-limit
func (s *Server) rateHeaders(w http.ResponseWriter, remaining int, reset time.Time) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", "5000")
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(5000-remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

func requestID(x *exchange) string { return fmt.Sprintf("F4KE:%04X", x.idx) }
