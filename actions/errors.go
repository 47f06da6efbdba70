package actions

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// maxErrorBody is how much of an error answer is kept: enough for the
// service's message, not so much that one failure fills the outcome table.
const maxErrorBody = 300

// maxReadBody bounds how much of any answer is read at all.
const maxReadBody = 64 << 10

// HTTPError is an answer from a service that was not a success. Body is the
// service's message, made plain text and truncated, with every secret the
// runner knows of cut out; the request's URL and headers are never part of it.
type HTTPError struct {
	Service    string        // jenkins, slack, http, github
	Status     int           // the HTTP status code
	RetryAfter time.Duration // from a Retry-After header, 0 when none was given
	// RateLimited marks a refusal for going too fast, whatever its status:
	// GitHub answers its rate limits with 403 as well as 429. Classify
	// retries it after RetryAfter.
	RateLimited bool
	Body        string
}

// Error implements error.
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.Service, e.Status, http.StatusText(e.Status))
	if e.RateLimited {
		s += " (rate limited"
		if e.RetryAfter > 0 {
			s += "; retry in " + e.RetryAfter.String()
		}
		s += ")"
	}
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// PermanentError marks an error that no retry can fix.
type PermanentError struct{ Err error }

// Error implements error.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying (a config or template problem, a
// refused request). Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// Permanentf is Permanent(fmt.Errorf(format, args...)).
func Permanentf(format string, args ...any) error {
	return Permanent(fmt.Errorf(format, args...))
}

// UnconfirmedError is a failure after the request was sent and before an
// answer came back: the service may have acted on it. Classify retries it
// with Verdict.MayHaveActed set, so the next attempt runs WithInterrupted and
// checks before acting again.
type UnconfirmedError struct {
	Service string
	Err     error
}

// Error implements error.
func (e *UnconfirmedError) Error() string {
	return fmt.Sprintf("%v (an earlier request may have taken effect; the next attempt checks first)", e.Err)
}

// Unwrap returns the wrapped error.
func (e *UnconfirmedError) Unwrap() error { return e.Err }

// newHTTPError reads (a bounded part of) resp's body into an HTTPError. The
// caller closes the body.
func newHTTPError(service string, resp *http.Response, now time.Time, secrets []string) *HTTPError {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxReadBody))
	return &HTTPError{
		Service:    service,
		Status:     resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
		Body:       errorText(raw, resp.Header.Get("Content-Type"), secrets),
	}
}

// errorText turns an error answer into one short line of plain text. An
// HTML page (Jenkins answers errors with them) gives its title, or failing
// that its text without markup, scripts and styles.
func errorText(raw []byte, contentType string, secrets []string) string {
	s := string(raw)
	if strings.Contains(contentType, "html") || strings.HasPrefix(strings.TrimSpace(s), "<") {
		htmlTitle := regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
		htmlNoise := regexp.MustCompile(`(?is)<script.*?</script>|<style.*?</style>|<!--.*?-->`)
		htmlTag := regexp.MustCompile(`(?s)<[^>]*>`)
		if m := htmlTitle.FindStringSubmatch(s); m != nil && strings.TrimSpace(m[1]) != "" {
			s = m[1]
		}
		s = htmlNoise.ReplaceAllString(s, " ")
		s = htmlTag.ReplaceAllString(s, " ")
		s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&amp;", "&").Replace(s)
	}
	s = scrub(strings.Join(strings.Fields(s), " "), secrets)
	return truncate(s, maxErrorBody)
}

// scrub replaces every non-empty secret in s.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "<secret>")
		}
	}
	return s
}

// basicAuthForms is what a service might echo of HTTP Basic credentials: the
// secret itself and the header's base64 form.
func basicAuthForms(user, secret string) []string {
	if secret == "" {
		return nil
	}
	return []string{secret, base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))}
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// redactURLError strips the URL from a transport error: a URL may carry a
// token in its path or query (a Slack webhook URL is itself a secret). What
// is left names the host, which is enough to debug a network problem.
func redactURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	safe := "<url>"
	if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
		safe = u.Scheme + "://" + u.Host + "/…"
	}
	return &url.Error{Op: ue.Op, URL: safe, Err: ue.Err}
}
