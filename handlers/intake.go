package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/budget"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/store"
)

// Bounds on the untrusted header values that are stored and logged. GitHub's
// delivery IDs are 36-character GUIDs and its event names are short.
const (
	maxDeliveryLen = 200
	maxEventLen    = 100
)

// msgSignature is the answer to every signature failure: it does not say
// which check failed.
const msgSignature = "signature missing, malformed or wrong (X-Hub-Signature-256 required)"

// StoreCopies is how many copies of a large payload the store holds for a
// moment while it writes it, beside the one intake holds.
const StoreCopies = 2

// retryAfterBusy is the Retry-After, in seconds, of a 503 for want of
// budget: about how long a large body takes to be read and stored.
const retryAfterBusy = "2"

// fieldReason is the log field that says why a request was rejected
// (package logfield has no name for it yet).
const fieldReason = "reason"

// intake is the webhook handler. It answers per DESIGN.md's intake table,
// checking in this order: method, announced body size, event and delivery
// headers, the signature header's shape, room in the budget for bodies in
// flight, the body's size as read, the signature's HMAC, content type and
// JSON; then it stores the delivery and answers.
type intake struct {
	limit          int64
	bodies         *budget.Budget
	budgetWait     time.Duration
	secrets        func() []string
	log            *logrus.Entry
	store          DeliveryStore
	now            func() time.Time
	enqueueTimeout time.Duration
	metrics        *metrics
}

// ServeHTTP answers one webhook request.
func (in *intake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := in.now()
	status := in.serve(w, r)
	in.metrics.observe(status, in.now().Sub(start))
}

// serve does the work of ServeHTTP and returns the status it answered with.
func (in *intake) serve(w http.ResponseWriter, r *http.Request) int {
	event, delivery := github.WebHookType(r), github.DeliveryID(r)

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return in.reject(w, event, delivery, http.StatusMethodNotAllowed,
			"method not allowed", "method "+logSafe(r.Method))
	}

	if r.ContentLength > in.limit {
		return in.reject(w, event, delivery, http.StatusRequestEntityTooLarge,
			"payload too large", "body over the limit")
	}

	if msg := checkHeaders(event, delivery); msg != "" {
		return in.reject(w, event, delivery, http.StatusBadRequest, msg, msg)
	}

	// The signature header's shape is checked before the body is read, so
	// that a request without one spends no budget; the HMAC needs the body.
	sig, reason := signatureHeader(r.Header)
	if reason != "" {
		return in.reject(w, event, delivery, http.StatusUnauthorized, msgSignature, reason)
	}

	body, grant, err := readBody(w, r, in.limit, in.bodies, in.budgetWait)
	defer grant.Release()
	switch {
	case errors.Is(err, errTooLarge):
		return in.reject(w, event, delivery, http.StatusRequestEntityTooLarge,
			"payload too large", "body over the limit")
	case errors.Is(err, errBusy):
		return in.busy(w, event, delivery)
	case err != nil:
		return in.reject(w, event, delivery, http.StatusBadRequest,
			"could not read body", "reading body: "+err.Error())
	}
	in.metrics.payload.Observe(float64(len(body)))

	if reason := verifySignature(sig, body, in.secrets()); reason != "" {
		return in.reject(w, event, delivery, http.StatusUnauthorized, msgSignature, reason)
	}

	contentType := r.Header.Get("Content-Type")
	// Decoding a form copies its payload field, at most the body's size.
	if isForm(contentType) && !in.hold(r, grant, grant.Size()+int64(len(body))) {
		return in.busy(w, event, delivery)
	}
	payload, status, msg := payloadOf(contentType, body)
	if status != 0 {
		return in.reject(w, event, delivery, status, msg, msg)
	}

	// Writing a large payload, the store holds two more copies of it for a
	// moment (SQLite's driver binds a copy and SQLite builds the row in
	// another; measured: 80 MB more resident for 20 MB). A body with a
	// Content-Length took room for them before it was read; one without
	// takes it now.
	if n := int64(len(payload)); n > SmallBodyBytes && !in.hold(r, grant, (1+StoreCopies)*n) {
		return in.busy(w, event, delivery)
	}

	d := store.Delivery{ID: delivery, Event: event, Payload: payload, ReceivedAt: in.now(),
		HookID: headerText(r.Header.Get("X-GitHub-Hook-ID")), UserAgent: headerText(r.Header.Get("User-Agent"))}
	ctx, cancel := context.WithTimeout(r.Context(), in.enqueueTimeout)
	duplicate, err := in.store.Enqueue(ctx, d)
	cancel()
	if err != nil {
		entry := in.log.WithError(err).WithFields(logrus.Fields{
			logfield.Delivery: delivery, logfield.Event: event,
			logfield.Status: http.StatusServiceUnavailable,
		})
		if r.Context().Err() != nil {
			entry.Info("webhook rejected: client gone before the store answered")
		} else {
			entry.Error("webhook rejected: store write failed")
		}
		writeError(w, http.StatusServiceUnavailable, "store unavailable")
		return http.StatusServiceUnavailable
	}

	status, reply := http.StatusAccepted, any(deliveryReply{Delivery: delivery, Status: "queued"})
	switch {
	case duplicate:
		status, reply = http.StatusOK, deliveryReply{Delivery: delivery, Status: "duplicate"}
	case event == "ping":
		status, reply = http.StatusOK, statusReply{Status: "pong"}
	}
	if in.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		in.log.WithFields(logrus.Fields{
			logfield.Delivery: delivery, logfield.Event: event, logfield.Status: status,
			"bytes": len(payload), "duplicate": duplicate,
		}).Debug("webhook accepted")
	}
	writeJSON(w, status, reply)
	return status
}

// hold makes grant hold at least total bytes, or the budget's general share
// when that is less (a large body holds at most that: large bodies are then
// read and stored one at a time), waiting as long as reading a body may. It
// reports whether it could.
func (in *intake) hold(r *http.Request, grant *budget.Grant, total int64) bool {
	n := in.bodies.Capped(total) - grant.Size()
	if n <= 0 {
		return true
	}
	ctx, cancel := context.WithTimeout(r.Context(), in.budgetWait)
	defer cancel()
	return grant.Grow(ctx, n) == nil
}

// busy answers 503 with Retry-After when the budget for bodies in flight
// had no room: GitHub records the delivery as failed, and the catch-up
// redelivers it. The body is left unread, so the connection is closed
// rather than drained.
func (in *intake) busy(w http.ResponseWriter, event, delivery string) int {
	setBusy(w)
	return in.reject(w, event, delivery, http.StatusServiceUnavailable, msgBusy, reasonBusy)
}

// The answer and the log reason of a 503 for want of budget, on every
// webhook endpoint.
const (
	msgBusy    = "too many request bodies in flight; retry later"
	reasonBusy = "no room in server.max_inflight_body_bytes"
)

// setBusy sets the headers of a 503 for want of budget: when to retry,
// and that the connection closes (the body was not read).
func setBusy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", retryAfterBusy)
	w.Header().Set("Connection", "close")
}

// reject logs a refused request at Info and answers {"error": msg}. reason
// is for the log only; neither holds a secret, a signature or the payload.
func (in *intake) reject(w http.ResponseWriter, event, delivery string, status int, msg, reason string) int {
	in.log.WithFields(logrus.Fields{
		logfield.Delivery: logSafe(delivery),
		logfield.Event:    logSafe(event),
		logfield.Status:   status,
		fieldReason:       reason,
	}).Info("webhook rejected")
	writeError(w, status, msg)
	return status
}

// checkHeaders returns what is wrong with the event and delivery headers, or
// "". Both are untrusted; they are stored, logged and echoed, so they are
// bounded and limited to printable ASCII.
func checkHeaders(event, delivery string) string {
	switch {
	case event == "":
		return "X-GitHub-Event header missing"
	case delivery == "":
		return "X-GitHub-Delivery header missing"
	case len(event) > maxEventLen || !printable(event):
		return "X-GitHub-Event header invalid"
	case len(delivery) > maxDeliveryLen || !printable(delivery):
		return "X-GitHub-Delivery header invalid"
	}
	return ""
}

// printable reports whether s is all printable ASCII other than space.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// logSafe bounds an untrusted header value for a log line and replaces
// anything but printable ASCII, so a header cannot forge or flood the log.
func logSafe(s string) string {
	const most = 200
	if len(s) <= most && printable(s) {
		return s
	}
	b := []byte(s[:min(len(s), most)])
	for i, c := range b {
		if c <= ' ' || c > '~' {
			b[i] = '?'
		}
	}
	if len(s) > most {
		b = append(b, "..."...)
	}
	return string(b)
}

// maxHeaderText bounds the informational headers stored with a delivery.
const maxHeaderText = 200

// headerText bounds an untrusted informational header (hook id, user
// agent) for storing and showing: printable ASCII and spaces only, at most
// maxHeaderText bytes.
func headerText(s string) string {
	b := make([]byte, 0, min(len(s), maxHeaderText))
	for i := 0; i < len(s) && len(b) < maxHeaderText; i++ {
		if c := s[i]; c >= ' ' && c <= '~' {
			b = append(b, c)
		}
	}
	return string(b)
}
