package e2e

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
)

// hmacSHA1 is the legacy X-Hub-Signature value, which intake must not accept
// on its own.
func hmacSHA1(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
