// Package fakegithub is an in-process fake of the parts of GitHub's REST API
// that Switchboard uses, served over real HTTP on loopback (httptest). It
// follows GitHub's documented answers: status codes, JSON error bodies, Link
// paging and rate-limit headers. The doc page each endpoint follows is named
// next to its handler.
//
// Authentication is checked as GitHub checks it: App endpoints want an App
// JWT (RS256, signed with the App's private key, iss = App ID); repository
// endpoints want an installation token issued by the fake's own token
// exchange. Everything the fake is asked to do is recorded, and knobs make it
// answer with rate limits, errors, or late.
package fakegithub

import (
	"context"
	"crypto/rsa"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Options configures a Server.
type Options struct {
	// AppID is the GitHub App's ID: the only JWT issuer the fake accepts.
	AppID int64
	// PublicKey verifies App JWTs; see Key.PublicKey.
	PublicKey *rsa.PublicKey
	// AppSlug names the App's bot user (AppSlug + "[bot]"); default "switchboard".
	AppSlug string
	// PathPrefix serves the API below a path, as GitHub Enterprise Server does
	// ("/api/v3"); requests outside it get 404.
	PathPrefix string
	// Now is the fake's clock for token expiry, JWT checks and records;
	// default time.Now.
	Now func() time.Time
}

// Server is a running fake GitHub API. It is safe for concurrent use.
type Server struct {
	opts    Options
	srv     *httptest.Server
	handler http.Handler
	closed  chan struct{}
	once    sync.Once

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced after each request's effect
	nextID       int64
	requests     []Request
	tokenTTL     time.Duration
	tokens       map[string]issuedToken
	exchanges    []TokenExchange
	faults       []*fault
	statuses     []Status
	comments     []Comment
	labels       map[issueKey][]string
	labelIDs     map[string]int64
	files        map[issueKey][]File
	deliveries   []Delivery
	redeliveries []Redelivery
	onRedeliver  func(Delivery) *Delivery
	violations   []SchemaViolation
	conv         conversation                     // checks, pulls, reactions, teams (conversation.go)
	contents     map[contentKey]map[string][]byte // repository files by ref (contents.go)

	// The manifest flow and GET /app (manifest.go).
	manifestKey       *Key
	manifestCodes     map[string]*manifestCode
	manifestForms     []ManifestForm
	conversions       []ManifestConversion
	createdApp        App
	installationCount int
}

// Request is one request the fake received. Credentials are never recorded,
// only what kind they were.
type Request struct {
	Method string
	// Path is the path below the API base, as GitHub's docs write it
	// ("/repos/o/r/statuses/abc"), unescaped.
	Path string
	// FullPath is the path as received, PathPrefix included.
	FullPath string
	// Query is the raw query string.
	Query string
	// Auth is "jwt" for a verified App JWT, "token" for a valid installation
	// token, "" otherwise.
	Auth string
	// Issuer is the iss claim of a verified App JWT.
	Issuer string
	// Installation is the installation a valid token belongs to.
	Installation int64
	// Status is the HTTP status the fake answered with.
	Status int
	// Time is when the request arrived, by the fake's clock.
	Time time.Time
}

// issueKey names one issue or pull request; owner and repo are lower case
// because GitHub treats them case-insensitively.
type issueKey struct {
	owner, repo string
	number      int
}

func newIssueKey(owner, repo string, number int) issueKey {
	return issueKey{strings.ToLower(owner), strings.ToLower(repo), number}
}

// defaultTokenTTL is how long GitHub's installation tokens live.
const defaultTokenTTL = time.Hour

// New starts a fake GitHub API on a loopback port. It panics when
// AppID or PublicKey is missing, as httptest.NewServer panics when it cannot
// listen: both are mistakes in the test itself. Close it when done.
func New(o Options) *Server {
	if o.AppID <= 0 || o.PublicKey == nil {
		panic("fakegithub: Options.AppID and Options.PublicKey are required")
	}
	if o.AppSlug == "" {
		o.AppSlug = "switchboard"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.PathPrefix = strings.TrimRight(o.PathPrefix, "/")
	if o.PathPrefix != "" && !strings.HasPrefix(o.PathPrefix, "/") {
		panic("fakegithub: Options.PathPrefix must start with /")
	}
	s := &Server{
		opts:     o,
		closed:   make(chan struct{}),
		changed:  make(chan struct{}),
		tokenTTL: defaultTokenTTL,
		tokens:   map[string]issuedToken{},
		labels:   map[issueKey][]string{},
		labelIDs: map[string]int64{},
		files:    map[issueKey][]File{},
	}
	var h http.Handler = s.routes()
	if o.PathPrefix != "" {
		h = http.StripPrefix(o.PathPrefix, h)
	}
	s.handler = h
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the API base URL with a trailing slash, the form github.api_url
// takes ("http://127.0.0.1:PORT/" or ".../api/v3/").
func (s *Server) URL() string { return s.srv.URL + s.opts.PathPrefix + "/" }

// Close releases requests held by Delay and shuts the server down.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closed) })
	s.srv.Close()
}

// SetTokenTTL sets the lifetime of installation tokens issued from now on
// (GitHub's is one hour). A lifetime under a minute makes ghinstallation fetch
// a new token for every request, since it refreshes a minute before expiry.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenTTL = d
}

// Requests returns every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests matched match: "METHOD /path" or "/path"
// (any method), the path as Request.Path holds it.
func (s *Server) Count(match string) int {
	m := parseMatch(match)
	n := 0
	for _, r := range s.Requests() {
		if m.matches(r.Method, r.Path) {
			n++
		}
	}
	return n
}

// Wait blocks until cond holds, checking it again after every request the
// fake handles, or until ctx ends. Use it instead of sleeping: for example,
// to act once a request has taken effect while its answer is held by Delay.
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

// exchange is what the handlers of one request learn and tell the
// wrapper: who called, and whether to hold the answer.
type exchange struct {
	idx     int // index in s.requests
	apiPath string
	full    string
	hold    *fault
}

type exchangeKey struct{}

func exchangeOf(r *http.Request) *exchange {
	return r.Context().Value(exchangeKey{}).(*exchange)
}

// serve records the request, runs the handler into a buffer so its effect
// happens even when the answer is held back, then answers.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	x := &exchange{full: r.URL.Path, apiPath: r.URL.Path}
	inside := strings.HasPrefix(r.URL.Path, s.opts.PathPrefix+"/")
	if inside {
		x.apiPath = strings.TrimPrefix(r.URL.Path, s.opts.PathPrefix)
	}
	s.mu.Lock()
	x.idx = len(s.requests)
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: x.apiPath, FullPath: r.URL.Path,
		Query: r.URL.RawQuery, Time: s.opts.Now(),
	})
	s.mu.Unlock()

	rec := httptest.NewRecorder()
	rec.Header().Set("X-GitHub-Request-Id", requestID(x))
	if web := s.webHandler(r); web != nil {
		web.ServeHTTP(rec, r)
	} else if inside {
		s.handler.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
	} else {
		writeError(rec, http.StatusNotFound, "Not Found", docREST)
	}

	s.mu.Lock()
	s.requests[x.idx].Status = rec.Code
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()

	if x.hold != nil {
		s.wait(r.Context(), x.hold.delay)
	}
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// wait holds an answer for d, or until the client gives up when d <= 0.
func (s *Server) wait(ctx context.Context, d time.Duration) {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
	case <-ctx.Done():
	case <-s.closed:
	}
}

func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

func (s *Server) botLogin() string { return s.opts.AppSlug + "[bot]" }

// apiURL is the absolute URL of an API path on this server, for the url
// fields of GitHub's objects.
func (s *Server) apiURL(format string, args ...any) string {
	return s.srv.URL + s.opts.PathPrefix + fmt.Sprintf(format, args...)
}
