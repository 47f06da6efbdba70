package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/store"
)

// Source kinds served at /webhooks/<kind>/<name>.
const (
	SourceStripe = "stripe"
	SourceSlack  = "slack"
)

// SourcePathPrefix is where the other sources' endpoints live.
const SourcePathPrefix = "/webhooks/"

// SourceLookup returns the signing secrets and timestamp tolerance of the
// source of kind (stripe, slack) named name; ok is false when no such
// source is configured. It is a func so that a config reload can swap them.
type SourceLookup func(kind, name string) (secrets []string, tolerance time.Duration, ok bool)

// Bounds on what a source's payload names: stored, logged and shown.
const (
	maxSourceIDLen   = 150
	maxSourceTypeLen = 90 // so that "stripe." and the type stay within the 100 bytes of an event name
)

// msgSourceSignature answers every signature failure of a source, without
// saying which check failed.
const msgSourceSignature = "signature missing, malformed, expired or wrong"

// sourceIntake answers POST /webhooks/{kind}/{name}: it verifies the
// source's signature, then stores the event under the source's own
// idempotency key, as intake does GitHub's deliveries.
type sourceIntake struct {
	*intake
	lookup   SourceLookup
	requests *prometheus.CounterVec
}

// mountSources adds the sources' endpoint to r; with no lookup every path
// under it is 404.
func mountSources(r *mux.Router, in *intake, lookup SourceLookup, reg prometheus.Registerer) error {
	if lookup == nil {
		return nil
	}
	requests, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_source_requests_total",
		Help: "Requests to the Stripe and Slack webhook endpoints answered, by source and HTTP status code.",
	}, []string{"source", "status"}))
	if err != nil {
		return fmt.Errorf("handlers: registering source metrics: %w", err)
	}
	s := &sourceIntake{intake: in, lookup: lookup, requests: requests}
	r.Handle(SourcePathPrefix+"{kind:stripe|slack}/{name}", s)
	return nil
}

// ServeHTTP answers one request of a source.
func (s *sourceIntake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	kind, name := vars["kind"], vars["name"]
	status := s.serve(w, r, kind, name)
	s.requests.WithLabelValues(kind, fmt.Sprint(status)).Inc()
}

func (s *sourceIntake) serve(w http.ResponseWriter, r *http.Request, kind, name string) int {
	secrets, tolerance, ok := s.lookup(kind, name)
	if !ok {
		// Not configured: as if the path did not exist.
		writeError(w, http.StatusNotFound, "not found")
		return http.StatusNotFound
	}
	source := kind + "/" + name
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return s.refuse(w, source, http.StatusMethodNotAllowed, "method not allowed", "method "+logSafe(r.Method))
	}
	if r.ContentLength > s.limit {
		return s.refuse(w, source, http.StatusRequestEntityTooLarge, "payload too large", "body over the limit")
	}

	// The header's shape and time are checked before the body is read, so
	// that a request without one spends no budget.
	parse := stripeSignature
	if kind == SourceSlack {
		parse = slackSignature
	}
	sig, reason := parse(r.Header)
	if reason == "" && !sig.fresh(s.now(), tolerance) {
		reason = "timestamp outside the tolerance"
	}
	if reason != "" {
		return s.refuse(w, source, http.StatusUnauthorized, msgSourceSignature, reason)
	}

	body, grant, err := readBody(w, r, s.limit, s.bodies, s.budgetWait)
	defer grant.Release()
	switch {
	case errors.Is(err, errTooLarge):
		return s.refuse(w, source, http.StatusRequestEntityTooLarge, "payload too large", "body over the limit")
	case errors.Is(err, errBusy):
		return s.busy(w, source)
	case err != nil:
		return s.refuse(w, source, http.StatusBadRequest, "could not read body", "reading body: "+err.Error())
	}

	prefix := stripeSignedPrefix(sig.at)
	if kind == SourceSlack {
		prefix = slackSignedPrefix(sig.at)
	}
	if !sig.matches(prefix, body, secrets) {
		return s.refuse(w, source, http.StatusUnauthorized, msgSourceSignature, "signature does not match the body")
	}

	var ev sourceEvent
	var msg string
	if kind == SourceSlack {
		ev, msg = slackEvent(body)
	} else {
		ev, msg = stripeEvent(body)
	}
	if msg != "" {
		return s.refuse(w, source, http.StatusBadRequest, msg, msg)
	}
	if ev.challenge != nil {
		// Slack's url_verification: answered, not stored.
		writeJSON(w, http.StatusOK, challengeReply{Challenge: *ev.challenge})
		return http.StatusOK
	}
	if ev.ignore {
		writeJSON(w, http.StatusOK, statusReply{Status: "ignored"})
		return http.StatusOK
	}
	if n := int64(len(body)); n > SmallBodyBytes && !s.hold(r, grant, (1+StoreCopies)*n) {
		return s.busy(w, source)
	}

	// The source's name is part of the key, so that two endpoints (a test
	// and a live Stripe account, two Slack apps) never mistake each
	// other's events for repeats.
	id := kind + ":" + name + ":" + ev.id
	event := kind + "." + ev.typ
	d := store.Delivery{ID: id, Event: event, Payload: body, ReceivedAt: s.now(),
		UserAgent: headerText(r.Header.Get("User-Agent"))}
	ctx, cancel := context.WithTimeout(r.Context(), s.enqueueTimeout)
	duplicate, err := s.store.Enqueue(ctx, d)
	cancel()
	if err != nil {
		s.log.WithError(err).WithFields(logrus.Fields{logfield.Delivery: id, logfield.Event: event,
			logfield.Status: http.StatusServiceUnavailable}).Error("source event rejected: store write failed")
		writeError(w, http.StatusServiceUnavailable, "store unavailable")
		return http.StatusServiceUnavailable
	}
	status, reply := http.StatusAccepted, deliveryReply{Delivery: id, Status: "queued"}
	if duplicate {
		status, reply.Status = http.StatusOK, "duplicate"
	}
	if kind == SourceSlack {
		// Slack counts only 200 as success; a retry (X-Slack-Retry-Num) of
		// an event already stored is a duplicate like any other.
		status = http.StatusOK
	}
	if s.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		s.log.WithFields(logrus.Fields{logfield.Delivery: id, logfield.Event: event, logfield.Status: status,
			"duplicate": duplicate, "retry": logSafe(r.Header.Get(headerSlackRetryNum))}).Debug("source event accepted")
	}
	writeJSON(w, status, reply)
	return status
}

// busy answers 503 with Retry-After when the budget for bodies in flight
// had no room, as intake's busy does.
func (s *sourceIntake) busy(w http.ResponseWriter, source string) int {
	setBusy(w)
	return s.refuse(w, source, http.StatusServiceUnavailable, msgBusy, reasonBusy)
}

// refuse logs a refused request at Info and answers {"error": msg}.
func (s *sourceIntake) refuse(w http.ResponseWriter, source string, status int, msg, reason string) int {
	s.log.WithFields(logrus.Fields{"source": source, logfield.Status: status, fieldReason: reason}).Info("source request rejected")
	writeError(w, status, msg)
	return status
}

// challengeReply answers Slack's url_verification.
type challengeReply struct {
	Challenge string `json:"challenge"`
}

// sourceEvent is what intake reads of a verified body.
type sourceEvent struct {
	id, typ   string
	challenge *string // Slack's url_verification
	ignore    bool    // a Slack callback that is not an event (app_rate_limited)
}

// stripeEvent reads a Stripe event's id and type
// (https://docs.stripe.com/api/events/object).
func stripeEvent(body []byte) (sourceEvent, string) {
	var e struct {
		ID   any `json:"id"`
		Type any `json:"type"`
	}
	if msg := decodeObject(body, &e); msg != "" {
		return sourceEvent{}, msg
	}
	id, typ, msg := idAndType(e.ID, e.Type, "id", "type")
	return sourceEvent{id: id, typ: typ}, msg
}

// slackEvent reads a Slack Events API request
// (https://api.slack.com/apis/events-api#callback-field): url_verification
// carries a challenge; event_callback an event_id and event.type.
func slackEvent(body []byte) (sourceEvent, string) {
	var e struct {
		Type      string  `json:"type"`
		Challenge *string `json:"challenge"`
		EventID   any     `json:"event_id"`
		Event     struct {
			Type any `json:"type"`
		} `json:"event"`
	}
	if msg := decodeObject(body, &e); msg != "" {
		return sourceEvent{}, msg
	}
	switch e.Type {
	case "url_verification":
		if e.Challenge == nil {
			return sourceEvent{}, "url_verification without a challenge"
		}
		return sourceEvent{challenge: e.Challenge}, ""
	case "event_callback":
		id, typ, msg := idAndType(e.EventID, e.Event.Type, "event_id", "event.type")
		return sourceEvent{id: id, typ: typ}, msg
	case "app_rate_limited":
		return sourceEvent{ignore: true}, ""
	}
	return sourceEvent{}, "type must be url_verification or event_callback"
}

// decodeObject decodes a JSON object body into v.
func decodeObject(body []byte, v any) string {
	if !validJSON(body) || !isObject(body) {
		return "body is not a JSON object"
	}
	if err := json.Unmarshal(body, v); err != nil {
		return "body has fields of the wrong type"
	}
	return ""
}

// idAndType checks the id and type of an event: non-empty strings of
// printable ASCII, bounded; the type also of lowercase letters, digits, _
// and dots, as rules name it under on:.
func idAndType(id, typ any, idKey, typeKey string) (string, string, string) {
	i, _ := id.(string)
	t, _ := typ.(string)
	switch {
	case i == "":
		return "", "", idKey + " missing or not a string"
	case t == "":
		return "", "", typeKey + " missing or not a string"
	case len(i) > maxSourceIDLen || !printable(i):
		return "", "", idKey + " invalid"
	case len(t) > maxSourceTypeLen || !isTypeName(t):
		return "", "", typeKey + " invalid"
	}
	return i, t, ""
}

// isTypeName reports whether s is words of lowercase letters, digits and
// _ joined by single dots (invoice.payment_failed): no empty word, so no
// dot at either end and no two together.
func isTypeName(s string) bool {
	word := 0 // length of the word being read
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_':
			word++
		case c == '.' && word > 0:
			word = 0
		default:
			return false
		}
	}
	return word > 0
}
