// Package fakeslack is an in-process fake of the two ways Switchboard posts
// to Slack, served over loopback by net/http/httptest:
//
//   - the Web API method chat.postMessage
//     (https://api.slack.com/methods/chat.postMessage): form-encoded or JSON
//     arguments, the bot token as "Authorization: Bearer" or a token field;
//     errors as HTTP 200 {"ok":false,"error":"..."} (not_authed,
//     invalid_auth, channel_not_found, is_archived, no_text, msg_too_long,
//     invalid_blocks, also for a section text over 3,000 characters); over
//     the rate limit HTTP 429 with Retry-After seconds
//     (https://api.slack.com/docs/rate-limits);
//   - an incoming webhook (https://api.slack.com/messaging/webhooks), whose
//     answers are plain text: 200 "ok"; 400 invalid_payload or no_text; 403
//     action_prohibited; 404 channel_not_found (no_service for an unknown
//     URL); 410 channel_is_archived; 429 with Retry-After; 500 rollup_error.
//
// Every accepted message and every request is recorded. A Server is safe for
// concurrent use. slack-go's slacktest also fakes chat.postMessage, but it
// has no way to answer errors or rate limits.
package fakeslack

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// MaxText is the longest message text accepted; longer is msg_too_long.
const MaxText = 40000

// Options configure a Server.
type Options struct {
	// Token is the bot token chat.postMessage requires.
	Token string
	// Channels that exist, by the name or ID a message gives; nil means any.
	Channels []string
	// Archived channels answer is_archived.
	Archived []string
}

// Message is one accepted message.
type Message struct {
	Via     string // "api" or "webhook"
	Channel string // as given; "" for a webhook
	Text    string
	Blocks  json.RawMessage // as given; nil when none
}

// Request is one request the server answered.
type Request struct {
	At     time.Time
	Via    string // "api", "webhook" or "other"
	Status int    // HTTP status answered
	Error  string // the error code answered, "" on success
}

// Server is a running fake Slack.
type Server struct {
	opts        Options
	srv         *httptest.Server
	webhookPath string

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced after every request
	messages   []Message
	requests   []Request
	rateLimit  int // requests still to answer 429
	retryAfter int // seconds, for the 429 answers
	failures   []string
	seq        int
	dir        directory // conversations.go
}

// New starts a Server on a loopback port. Close it when done.
func New(opts Options) *Server {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	s := &Server{opts: opts, changed: make(chan struct{}), webhookPath: "/services/T00000000/B00000000/" + hex.EncodeToString(b)}
	s.srv = httptest.NewServer(s)
	return s
}

// APIURL is the Web API root to configure as api_url, ending in "/".
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// WebhookURL is the incoming webhook's URL.
func (s *Server) WebhookURL() string { return s.srv.URL + s.webhookPath }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Wait blocks until cond holds, checking it again after every request the
// server answers, or until ctx is done. cond may call the Server's methods:
//
//	err := s.Wait(ctx, func() bool { return len(s.Messages()) >= 2 })
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notify wakes every Wait. The caller holds s.mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// RateLimit makes the next n requests answer 429 with Retry-After: seconds.
func (s *Server) RateLimit(n, seconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimit, s.retryAfter = n, seconds
}

// FailNext makes the next requests fail, one per code, in order: with
// {"ok":false,"error":code} from the Web API, or the code's documented
// status from the webhook.
func (s *Server) FailNext(codes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, codes...)
}

// Messages returns every accepted message so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Requests returns every request answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ServeHTTP serves chat.postMessage and the incoming webhook.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify() // runs before the unlock
	switch {
	case r.URL.Path == "/api/chat.postMessage":
		s.postMessage(w, r)
	case strings.HasPrefix(r.URL.Path, "/services/"):
		s.webhook(w, r)
	case s.serveConversations(w, r):
	default:
		s.record("other", http.StatusNotFound, "unknown_method")
		http.NotFound(w, r)
	}
}

// next takes the next injected answer: a rate limit, then a failure code.
func (s *Server) next() (limited bool, code string) {
	if s.rateLimit > 0 {
		s.rateLimit--
		return true, ""
	}
	if len(s.failures) > 0 {
		code, s.failures = s.failures[0], s.failures[1:]
	}
	return false, code
}

func (s *Server) record(via string, status int, code string) {
	s.requests = append(s.requests, Request{At: time.Now(), Via: via, Status: status, Error: code})
}

// postMessage implements chat.postMessage.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	if limited, code := s.next(); limited {
		s.tooMany(w, "api", `{"ok":false,"error":"ratelimited"}`, "application/json; charset=utf-8")
		return
	} else if code != "" {
		s.apiError(w, code)
		return
	}
	args, token, err := apiArgs(r)
	if err != nil {
		s.apiError(w, "invalid_arguments")
		return
	}
	switch {
	case token == "":
		s.apiError(w, "not_authed")
		return
	case !equal(token, s.opts.Token):
		s.apiError(w, "invalid_auth")
		return
	}
	channel, text, blocks := args["channel"], args["text"], args["blocks"]
	switch {
	case channel == "" || (s.opts.Channels != nil && !contains(s.opts.Channels, channel)):
		s.apiError(w, "channel_not_found")
		return
	case contains(s.opts.Archived, channel):
		s.apiError(w, "is_archived")
		return
	case blocks != "" && !validBlocks(blocks):
		s.apiError(w, "invalid_blocks")
		return
	case strings.TrimSpace(text) == "" && blocks == "":
		s.apiError(w, "no_text")
		return
	case utf8.RuneCountInString(text) > MaxText:
		s.apiError(w, "msg_too_long")
		return
	}
	m := Message{Via: "api", Channel: channel, Text: text}
	if blocks != "" {
		m.Blocks = json.RawMessage(blocks)
	}
	s.messages = append(s.messages, m)
	s.seq++
	ts := fmt.Sprintf("%d.%06d", time.Now().Unix(), s.seq)
	s.record("api", http.StatusOK, "")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ok": true, "channel": channelID(channel), "ts": ts,
		"message": map[string]any{"type": "message", "subtype": "bot_message", "text": text, "ts": ts},
	})
}

// apiArgs reads chat.postMessage's arguments and token, from a form or a
// JSON body.
func apiArgs(r *http.Request) (map[string]string, string, error) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	args := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return nil, "", err
		}
		for k, v := range body {
			switch v := v.(type) {
			case string:
				args[k] = v
			default:
				b, _ := json.Marshal(v)
				args[k] = string(b)
			}
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return nil, "", err
		}
		for k := range r.Form {
			args[k] = r.Form.Get(k)
		}
	}
	if token == "" {
		token = args["token"]
	}
	return args, token, nil
}

func (s *Server) apiError(w http.ResponseWriter, code string) {
	s.record("api", http.StatusOK, code)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": code})
}

func (s *Server) tooMany(w http.ResponseWriter, via, body, contentType string) {
	s.record(via, http.StatusTooManyRequests, "ratelimited")
	w.Header().Set("Retry-After", strconv.Itoa(s.retryAfter))
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(body))
}

// webhookStatus is the documented status of each webhook error code.
func webhookStatus(code string) int {
	switch code {
	case "action_prohibited":
		return http.StatusForbidden
	case "channel_not_found", "no_service":
		return http.StatusNotFound
	case "channel_is_archived":
		return http.StatusGone
	case "rollup_error":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest // invalid_payload, no_text, ...
}

// webhook implements an incoming webhook.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	answer := func(code string) {
		status := http.StatusOK
		if code != "ok" {
			status = webhookStatus(code)
			s.record("webhook", status, code)
		} else {
			s.record("webhook", status, "")
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(code))
	}
	if r.URL.Path != s.webhookPath || r.Method != http.MethodPost {
		answer("no_service")
		return
	}
	if limited, code := s.next(); limited {
		s.tooMany(w, "webhook", "rate_limited", "text/html")
		return
	} else if code != "" {
		answer(code)
		return
	}
	var body struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		answer("invalid_payload")
		return
	}
	if len(body.Blocks) > 0 && !validBlocks(string(body.Blocks)) {
		answer("invalid_blocks")
		return
	}
	if strings.TrimSpace(body.Text) == "" && len(body.Blocks) == 0 {
		answer("no_text")
		return
	}
	s.messages = append(s.messages, Message{Via: "webhook", Text: body.Text, Blocks: body.Blocks})
	answer("ok")
}

// MaxSectionText is the longest section block text Slack accepts
// (https://api.slack.com/reference/block-kit/blocks#section).
const MaxSectionText = 3000

// validBlocks checks what Slack checks before answering invalid_blocks: a
// list of objects, each with a type, and section texts within their limit.
func validBlocks(s string) bool {
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	if err := json.Unmarshal([]byte(s), &blocks); err != nil {
		return false
	}
	for _, b := range blocks {
		if b.Type == "" {
			return false
		}
		if b.Type == "section" && b.Text != nil && utf8.RuneCountInString(b.Text.Text) > MaxSectionText {
			return false
		}
	}
	return true
}

// channelID is the stable fake ID Slack would answer for a channel name.
func channelID(channel string) string {
	if !strings.HasPrefix(channel, "#") {
		return channel
	}
	sum := sha256.Sum256([]byte(channel))
	return "C" + strings.ToUpper(hex.EncodeToString(sum[:5]))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func equal(a, b string) bool { return a != "" && a == b }
