// Package admin is the admin API under /api/v1: the delivery history with
// the rules' explanations and every action's attempts, replay and retry. It
// sits on the handlers floor: it reads and writes through the store and
// knows nothing of rules or actions. It is off (404) unless a token is
// configured, and every call must present that token as a Bearer token.
package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/store"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

// DefaultTimeout bounds the store calls of one request.
const DefaultTimeout = 10 * time.Second

// Store is what the API needs of the store (package store implements it).
type Store interface {
	ListDeliveries(ctx context.Context, f store.DeliveryFilter) (*store.DeliveryPage, error)
	DeliveryHistory(ctx context.Context, id string) (*store.DeliveryDetail, error)
	ReplayDelivery(ctx context.Context, id string, at time.Time) (string, error)
	RetryAction(ctx context.Context, actionID string) error
}

// Compile-time check that the store is what the API needs.
var _ Store = (*store.Store)(nil)

// Options configures New.
type Options struct {
	Store Store
	// Token returns the admin token; "" turns the API off (every path
	// answers 404).
	Token  func() string
	Logger *logrus.Entry
	Now    func() time.Time // default time.Now
	// Timeout bounds the store calls of one request; default
	// DefaultTimeout.
	Timeout time.Duration
}

// API is the admin API: an http.Handler for the paths under Prefix.
type API struct {
	store   Store
	token   func() string
	log     *logrus.Entry
	now     func() time.Time
	timeout time.Duration
	router  *mux.Router
}

// Compile-time check that API is a Handler.
var _ http.Handler = (*API)(nil)

// New returns the API.
func New(o Options) (*API, error) {
	if o.Store == nil {
		return nil, errors.New("admin: no store")
	}
	if o.Token == nil {
		return nil, errors.New("admin: no token")
	}
	if o.Logger == nil {
		o.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	a := &API{store: o.Store, token: o.Token, log: o.Logger, now: o.Now, timeout: o.Timeout}
	r := mux.NewRouter()
	// Delivery ids are GitHub's GUIDs, but intake takes any printable
	// ASCII, "/" included: match on the escaped path, unescape the id.
	r.UseEncodedPath()
	r.Handle(Prefix+"deliveries", methods(http.HandlerFunc(a.list), http.MethodGet))
	r.Handle(Prefix+"deliveries/{id}", methods(http.HandlerFunc(a.show), http.MethodGet))
	r.Handle(Prefix+"deliveries/{id}/replay", methods(http.HandlerFunc(a.replay), http.MethodPost))
	r.Handle(Prefix+"actions/{id}/retry", methods(http.HandlerFunc(a.retry), http.MethodPost))
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	a.router = r
	return a, nil
}

// ServeHTTP checks the token, then routes. Without a configured token
// everything is 404, as for a path that does not exist; without the right
// token everything is 401, whatever the path.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.token() == "" {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	if !a.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="switchboard"`)
		writeError(w, http.StatusUnauthorized, "missing or wrong admin token (Authorization: Bearer <token>)")
		return
	}
	a.router.ServeHTTP(w, r)
}

func (a *API) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return a.CheckToken(strings.TrimSpace(tok))
}

// CheckToken reports whether s is the admin token, in constant time (the
// time depends on neither value: both are hashed first). It is false
// whenever the API is off.
func (a *API) CheckToken(s string) bool {
	want := a.token()
	if want == "" || s == "" {
		return false
	}
	x, y := sha256.Sum256([]byte(s)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// methods answers 405 with Allow for any other method (HEAD goes with GET).
func methods(h http.Handler, allowed string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != allowed && !(allowed == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", allowed)
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		h.ServeHTTP(w, r)
	})
}
