package handlers

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// deliveryReply is the body of 202 queued and 200 duplicate answers.
type deliveryReply struct {
	Delivery string `json:"delivery"`
	Status   string `json:"status"`
}

// statusReply is the body of ping and health answers.
type statusReply struct {
	Status string `json:"status"`
}

// errorReply is the body of every error answer.
type errorReply struct {
	Error string `json:"error"`
}

// writeJSON sends v as the JSON body of a status answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// The reply types hold only strings: this cannot happen.
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client has gone if this fails; nothing to do
}

// writeError sends {"error": msg}. msg is a fixed text, never a secret, an
// internal error or request data.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorReply{Error: msg})
}
