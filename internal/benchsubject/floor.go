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
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		}
		if !validSignature(key, r.Header.Get("X-Hub-Signature-256"), body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		b, _ := json.Marshal(map[string]string{"delivery": r.Header.Get("X-GitHub-Delivery"), "status": "queued"})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(b)
	})
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
