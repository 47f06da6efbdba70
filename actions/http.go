package actions

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/config"
)

// SignatureHeader is the header a signed http action carries, as GitHub's
// own webhooks do.
const SignatureHeader = "X-Hub-Signature-256"

// HTTP calls another endpoint with the rendered body, or the delivery's raw
// payload when the action gives none. Besides the action's own headers it
// sends X-GitHub-Event and X-GitHub-Delivery (unless the action sets them),
// so a receiver can treat it like a GitHub webhook and drop the duplicate a
// retry may cause; and with a secret, X-Hub-Signature-256 signed exactly as
// GitHub signs.
type HTTP struct {
	client   *http.Client
	payloads PayloadSource
	secrets  SecretSource
	now      func() time.Time
}

// Sign returns the X-Hub-Signature-256 value for body: "sha256=" and the hex
// HMAC-SHA256 of body keyed with secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Run makes the call. A 2xx answer is success; any other is an *HTTPError
// for Classify.
func (h *HTTP) Run(ctx context.Context, job *Job) (Result, error) {
	if job.HTTP == nil {
		return Result{}, errMissingFields("http")
	}
	hj := job.HTTP
	u, err := url.Parse(hj.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Result{}, Permanentf("http: the rendered url is not an absolute http(s) URL")
	}
	if len(hj.AllowHosts) > 0 && !config.HostAllowed(hj.AllowHosts, hj.URL) {
		return Result{}, Permanentf("http: host %s is not in allow_hosts", u.Host)
	}
	method := strings.ToUpper(hj.Method)
	if method == "" {
		method = http.MethodPost
	}

	var body []byte
	if hj.Body != nil {
		body = []byte(*hj.Body)
	} else {
		if h.payloads == nil {
			return Result{}, Permanentf("http: no payload source to send the delivery's payload")
		}
		if body, err = h.payloads.Payload(ctx, job.Delivery); err != nil {
			return Result{}, fmt.Errorf("http: reading the payload of delivery %s: %w", job.Delivery, err)
		}
	}

	var secret string
	if hj.Signed {
		s, ok := h.secrets.HTTPSecret(job.Rule, job.Index)
		if !ok {
			return Result{}, Permanentf("http: rule %q action %d is signed but no secret is configured", job.Rule, job.Index)
		}
		secret = s
	}

	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return Result{}, Permanent(redactURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if job.Event != "" {
		req.Header.Set("X-GitHub-Event", job.Event)
	}
	if job.Delivery != "" {
		req.Header.Set("X-GitHub-Delivery", job.Delivery)
	}
	for k, v := range hj.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	if secret != "" {
		req.Header.Set(SignatureHeader, Sign(secret, body))
	}

	resp, err := h.client.Do(req)
	if err != nil {
		return Result{}, redactURLError(err)
	}
	defer drain(resp)
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return Result{}, newHTTPError("http", resp, h.now(), []string{secret})
	}
	return Result{Detail: fmt.Sprintf("HTTP %d", resp.StatusCode), Message: fmt.Sprintf("%s %s://%s answered %d", method, u.Scheme, u.Host, resp.StatusCode)}, nil
}
