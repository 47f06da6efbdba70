package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Signature headers of the other sources.
const (
	// headerStripeSignature is Stripe's: t=<unix time>,v1=<hex>[,v1=...],
	// see https://docs.stripe.com/webhooks#verify-manually.
	headerStripeSignature = "Stripe-Signature"
	// Slack's, see https://api.slack.com/authentication/verifying-requests-from-slack.
	headerSlackSignature = "X-Slack-Signature"
	headerSlackTimestamp = "X-Slack-Request-Timestamp"
	headerSlackRetryNum  = "X-Slack-Retry-Num"
	slackVersion         = "v0"
)

// signed is a request's signature header, parsed: the time it claims and
// the hex HMACs it offers (Stripe may send several v1 values while an
// endpoint's secret is being rolled).
type signed struct {
	at   int64
	macs [][]byte
}

// stripeSignature parses Stripe-Signature, or returns the reason for the
// log why it cannot; the reason never quotes the value. Schemes other than
// v1 (v0 is Stripe's test scheme) are ignored, as Stripe's libraries do.
func stripeSignature(h http.Header) (signed, string) {
	values := h.Values(headerStripeSignature)
	switch {
	case len(values) == 0 || values[0] == "":
		return signed{}, "Stripe-Signature missing"
	case len(values) > 1:
		return signed{}, "Stripe-Signature given more than once"
	}
	var s signed
	haveT := false
	for _, part := range strings.Split(values[0], ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return signed{}, "Stripe-Signature malformed: an item without ="
		}
		switch k {
		case "t":
			t, err := strconv.ParseInt(v, 10, 64)
			if err != nil || haveT {
				return signed{}, "Stripe-Signature malformed: t is not one unix time"
			}
			s.at, haveT = t, true
		case "v1":
			mac, ok := hexMAC(v)
			if !ok {
				return signed{}, "Stripe-Signature malformed: a v1 is not 64 hex digits"
			}
			if len(s.macs) < 8 { // Stripe sends one or two; more only cost time
				s.macs = append(s.macs, mac)
			}
		}
	}
	switch {
	case !haveT:
		return signed{}, "Stripe-Signature malformed: no t"
	case len(s.macs) == 0:
		return signed{}, "Stripe-Signature has no v1 signature"
	}
	return s, ""
}

// slackSignature parses X-Slack-Signature and X-Slack-Request-Timestamp, or
// returns the reason for the log why it cannot.
func slackSignature(h http.Header) (signed, string) {
	sig, ts := h.Values(headerSlackSignature), h.Values(headerSlackTimestamp)
	switch {
	case len(sig) == 0 || sig[0] == "":
		return signed{}, "X-Slack-Signature missing"
	case len(ts) == 0 || ts[0] == "":
		return signed{}, "X-Slack-Request-Timestamp missing"
	case len(sig) > 1 || len(ts) > 1:
		return signed{}, "X-Slack-Signature or X-Slack-Request-Timestamp given more than once"
	}
	at, err := strconv.ParseInt(ts[0], 10, 64)
	if err != nil {
		return signed{}, "X-Slack-Request-Timestamp is not a unix time"
	}
	v, ok := strings.CutPrefix(sig[0], slackVersion+"=")
	if !ok {
		return signed{}, "X-Slack-Signature malformed: want v0= and 64 hex digits"
	}
	mac, ok := hexMAC(v)
	if !ok {
		return signed{}, "X-Slack-Signature malformed: want v0= and 64 hex digits"
	}
	return signed{at: at, macs: [][]byte{mac}}, ""
}

// hexMAC decodes 64 hex digits.
func hexMAC(v string) ([]byte, bool) {
	if len(v) != 2*sha256.Size || !isHex(v) {
		return nil, false
	}
	b, err := hex.DecodeString(v)
	return b, err == nil
}

// fresh reports whether the signed time lies within tolerance of now, on
// either side: an old request may be a replay, one from the future a
// forgery made to outlive the window.
func (s signed) fresh(now time.Time, tolerance time.Duration) bool {
	d := now.Sub(time.Unix(s.at, 0))
	return d <= tolerance && d >= -tolerance
}

// stripeSignedPrefix is what precedes the raw body in what Stripe signs:
// "<t>.<raw body>". Verifying hashes the prefix, then the body, so that a
// body (up to server.max_payload_bytes) is never copied outside the
// memory budget.
func stripeSignedPrefix(t int64) []byte { return []byte(strconv.FormatInt(t, 10) + ".") }

// slackSignedPrefix is what precedes the raw body in what Slack signs:
// "v0:<timestamp>:<raw body>".
func slackSignedPrefix(t int64) []byte {
	return []byte(slackVersion + ":" + strconv.FormatInt(t, 10) + ":")
}

// matches reports whether any of s's MACs is the HMAC-SHA256 of prefix
// followed by body under any of secrets (empty ones skipped). Every pair
// is compared, with no early exit, so the time taken does not tell which
// matched.
func (s signed) matches(prefix, body []byte, secrets []string) bool {
	match := false
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(prefix)
		m.Write(body)
		want := m.Sum(nil)
		for _, mac := range s.macs {
			if hmac.Equal(mac, want) {
				match = true
			}
		}
	}
	return match
}
