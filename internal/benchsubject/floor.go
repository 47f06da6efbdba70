package benchsubject

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// MaxBody is the subjects' body limit, GitHub's own cap.
const MaxBody = 25 << 20

// Floor is the floor: the least a webhook server must do. It reads the body
// under a limit, checks the SHA-256 HMAC and answers 202, storing nothing,
// so that intake's cost shows as a ratio to it.
func Floor(secret string) http.Handler {
	key := []byte(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := verified(w, r, key); !ok {
			return
		}
		b, _ := json.Marshal(map[string]string{"delivery": r.Header.Get("X-GitHub-Delivery"), "status": "queued"})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(b)
	})
}

// verified is the floor's whole check, which the probe shares: 405 for a
// method other than POST, 413 over MaxBody, 401 without a valid
// X-Hub-Signature-256. It answers those itself and returns the body and
// true when the request passes.
func verified(w http.ResponseWriter, r *http.Request, key []byte) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	if !validSignature(key, r.Header.Get("X-Hub-Signature-256"), body) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// validSignature reports whether header is "sha256=" and the hex HMAC of
// body with key.
func validSignature(key []byte, header string, body []byte) bool {
	sig, ok := strings.CutPrefix(header, "sha256=")
	got, err := hex.DecodeString(sig)
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return ok && err == nil && hmac.Equal(got, mac.Sum(nil))
}
