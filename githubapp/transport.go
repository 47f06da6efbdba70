package githubapp

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

// tokenErrors turns a failed token exchange into go-github's own error types
// (RateLimitError, AbuseRateLimitError, ErrorResponse), so that a rate limit
// or a refused JWT met while fetching a token is read like any other GitHub
// answer. ghinstallation returns such failures with the response body unread
// and unclosed; this reads and closes it.
type tokenErrors struct {
	next         *ghinstallation.Transport
	installation int64
}

// RoundTrip implements http.RoundTripper.
func (t *tokenErrors) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		return resp, nil
	}
	var he *ghinstallation.HTTPError
	if !errors.As(err, &he) || he.Response == nil || he.Response.Body == nil {
		return nil, err
	}
	ghErr := github.CheckResponse(he.Response)
	he.Response.Body.Close()
	if ghErr == nil {
		return nil, err
	}
	return nil, fmt.Errorf("githubapp: installation %d: token exchange: %w", t.installation, ghErr)
}

// instrumented counts requests by client kind and status code.
type instrumented struct {
	next    http.RoundTripper
	client  string // "app" or "installation"
	metrics *metrics
}

// RoundTrip implements http.RoundTripper.
func (t *instrumented) RoundTrip(req *http.Request) (*http.Response, error) {
	client := t.client
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/access_tokens") {
		client = "token"
	}
	resp, err := t.next.RoundTrip(req)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	t.metrics.requests.WithLabelValues(client, code).Inc()
	return resp, err
}
