package handlers

import (
	"crypto/sha256"
	"net/http"

	"github.com/google/go-github/v60/github"
)

// Signature headers, as GitHub names them.
const (
	headerSignature256  = "X-Hub-Signature-256"
	headerSignatureSHA1 = "X-Hub-Signature"
	signaturePrefix     = "sha256="
)

// signatureHeader returns the one X-Hub-Signature-256 value, checked for
// shape (sha256= and 64 hex digits), or the reason for the log why there is
// none; the reason never quotes the value.
//
// The HMAC itself is go-github's ValidateSignature (verifySignature). Its
// ValidatePayload is not used: it falls back to the SHA-1 header when the
// SHA-256 one is missing, checks nothing at all with an empty secret and no
// header, and reads the body with no limit. So the header is required and
// checked for shape here first, before the body is read under the limit.
func signatureHeader(h http.Header) (string, string) {
	values := h.Values(headerSignature256)
	switch {
	case len(values) == 0 && h.Get(headerSignatureSHA1) != "":
		return "", "X-Hub-Signature-256 missing; X-Hub-Signature (SHA-1) alone is not accepted"
	case len(values) == 0 || values[0] == "":
		return "", "X-Hub-Signature-256 missing"
	case len(values) > 1:
		return "", "X-Hub-Signature-256 given more than once"
	}
	v := values[0]
	if len(v) != len(signaturePrefix)+2*sha256.Size || v[:len(signaturePrefix)] != signaturePrefix || !isHex(v[len(signaturePrefix):]) {
		// Checked here, so that ValidateSignature sees only a SHA-256 value
		// (it would take "sha1=" too) and the reason can be precise.
		return "", "X-Hub-Signature-256 malformed: want sha256= and 64 hex digits"
	}
	return v, ""
}

// verifySignature checks the signature header value sig (from
// signatureHeader) against body with every secret. It returns "" when one
// secret matches, else the reason for the log; the reason names what was
// wrong, never the expected value or a secret.
func verifySignature(sig string, body []byte, secrets []string) string {
	// Try every secret, with no early exit, so the time taken does not tell
	// which secret (if any) matched.
	match := false
	usable := 0
	for _, s := range secrets {
		if s == "" {
			continue // an empty key is public knowledge
		}
		usable++
		if github.ValidateSignature(sig, body, []byte(s)) == nil {
			match = true
		}
	}
	switch {
	case usable == 0:
		return "no usable webhook secret configured"
	case !match:
		return "X-Hub-Signature-256 does not match the body"
	}
	return ""
}

// isHex reports whether s is all hex digits.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
