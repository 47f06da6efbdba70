package admin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

type errorReply struct {
	Error string `json:"error"`
}

// writeJSON sends v as the JSON body of a status answer; the history is
// not to be cached by browsers or proxies.
func writeJSON(w http.ResponseWriter, status int, v any) {
	// Not HTML-escaped: the answer is JSON with nosniff, read by programs,
	// and "<secret>" should read as written.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var b []byte
	if err := enc.Encode(v); err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	} else {
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client has gone if this fails
}

// writeError sends {"error": msg}; msg never holds a secret.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorReply{Error: msg})
}
