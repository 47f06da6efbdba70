package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// Signature headers, as GitHub names them.
const (
	headerSignature256  = "X-Hub-Signature-256"
	headerSignatureSHA1 = "X-Hub-Signature"
	signaturePrefix     = "sha256="
)

// verifySignature checks X-Hub-Signature-256 against body with every secret.
// It returns "" when one secret matches, else the reason for the log; the
// reason names what was wrong, never the expected value or a secret.
//
// This is done here rather than with go-github's ValidatePayload, which
// falls back to the SHA-1 header when the SHA-256 one is missing and checks
// nothing at all with an empty secret and no header.
func verifySignature(h http.Header, body []byte, secrets []string) string {
	values := h.Values(headerSignature256)
	switch {
	case len(values) == 0 && h.Get(headerSignatureSHA1) != "":
		return "X-Hub-Signature-256 missing; X-Hub-Signature (SHA-1) alone is not accepted"
	case len(values) == 0 || values[0] == "":
		return "X-Hub-Signature-256 missing"
	case len(values) > 1:
		return "X-Hub-Signature-256 given more than once"
	}
	v := values[0]
	if len(v) != len(signaturePrefix)+2*sha256.Size || v[:len(signaturePrefix)] != signaturePrefix {
		return "X-Hub-Signature-256 malformed: want sha256= and 64 hex digits"
	}
	var got [sha256.Size]byte
	if _, err := hex.Decode(got[:], []byte(v[len(signaturePrefix):])); err != nil {
		return "X-Hub-Signature-256 malformed: want sha256= and 64 hex digits"
	}
	// Try every secret, with no early exit, so the time taken does not tell
	// which secret (if any) matched.
	match := false
	usable := 0
	for _, s := range secrets {
		if s == "" {
			continue // an empty key is public knowledge
		}
		usable++
		mac := hmac.New(sha256.New, []byte(s))
		mac.Write(body)
		if hmac.Equal(mac.Sum(nil), got[:]) {
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
