// Package ui is Switchboard's web page at /ui/: the recent deliveries, one
// delivery with its rules' explanations and its actions' attempts, and the
// Replay and Retry buttons. It is html/template with a little JavaScript,
// embedded in the binary. It reads and acts only through the admin API's
// handler, called in-process with the admin token, so the page shows exactly
// what the API answers and checks nothing twice.
package ui

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/adminclient"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Defaults for Options.
const (
	DefaultSessionTTL   = 12 * time.Hour
	DefaultPollInterval = 3 * time.Second
	// pageSize is how many deliveries the list shows at once.
	pageSize = 50
	// maxForm bounds a POSTed form: the page's forms hold a token or two.
	maxForm = 1 << 16
)

// Options configure New.
type Options struct {
	// Token returns the current admin token. While it returns "", every
	// path answers 404, as if the page did not exist.
	Token func() string
	// API is the admin API's handler, serving full paths /api/v1/...
	API http.Handler
	// Logger hears errors the page could not show; default logrus's
	// standard logger.
	Logger *logrus.Entry
	// Now is the clock; default time.Now.
	Now func() time.Time
	// SessionTTL is how long a login lasts; default 12h.
	SessionTTL time.Duration
	// PollInterval is how often the list refreshes itself; default 3s.
	PollInterval time.Duration
}

// UI is the web page's handler, for the paths under /ui/.
type UI struct {
	o      Options
	pages  map[string]*template.Template
	router *mux.Router
}

var _ http.Handler = (*UI)(nil)

// New builds the page's handler.
func New(o Options) (*UI, error) {
	if o.Token == nil {
		return nil, errors.New("ui: no admin token func")
	}
	if o.API == nil {
		return nil, errors.New("ui: no admin API handler")
	}
	if o.Logger == nil {
		o.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	u := &UI{o: o, pages: map[string]*template.Template{}}
	for _, p := range []string{"login", "list", "delivery", "error"} {
		t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", p, err)
		}
		u.pages[p] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}

	r := mux.NewRouter()
	r.Handle("/ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
	r.HandleFunc("/ui/", u.authed(u.list)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/ui/rows", u.authed(u.rows)).Methods(http.MethodGet)
	r.HandleFunc("/ui/login", u.loginForm).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/ui/login", u.login).Methods(http.MethodPost)
	r.HandleFunc("/ui/logout", u.authed(u.logout)).Methods(http.MethodPost)
	r.HandleFunc("/ui/deliveries/{id}", u.authed(u.delivery)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/ui/deliveries/{id}/replay", u.authed(u.replay)).Methods(http.MethodPost)
	r.HandleFunc("/ui/actions/{id}/retry", u.authed(u.retry)).Methods(http.MethodPost)
	r.PathPrefix("/ui/static/").Handler(http.StripPrefix("/ui/static/", http.FileServer(http.FS(static)))).Methods(http.MethodGet, http.MethodHead)
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, http.StatusMethodNotAllowed, "Method not allowed", "")
	})
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, http.StatusNotFound, "Not found", "There is no such page.")
	})
	u.router = r
	return u, nil
}

// ServeHTTP implements http.Handler.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u.o.Token() == "" {
		// Closed: the same answer as any unknown path of the server.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"not found"}`))
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	u.router.ServeHTTP(w, r)
}

// client calls the admin API in-process with the current admin token.
func (u *UI) client() *adminclient.Client {
	return &adminclient.Client{
		Base:  "http://switchboard.invalid",
		Token: u.o.Token(),
		HTTP:  &http.Client{Transport: adminclient.HandlerTransport{Handler: u.o.API}},
	}
}

// keys returns the signing keys of the current admin token.
func (u *UI) keys() keys { return newKeys(u.o.Token()) }

// authed lets a request with a valid session through; the others go to the
// login form (pages) or get 401 (the list's refresh, POSTs).
func (u *UI) authed(next func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var s session
		ok := false
		if c, err := r.Cookie(sessionCookie); err == nil {
			s, ok = u.keys().checkSession(c.Value, u.o.Now())
		}
		if !ok {
			if r.Method == http.MethodGet && r.URL.Path != "/ui/rows" {
				http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
				return
			}
			u.fail(w, r, http.StatusUnauthorized, "Not logged in", "Log in again: your session is missing or has expired.")
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseForm(); err != nil || !sameCSRF(r.PostForm.Get("csrf"), s.csrf) {
				u.fail(w, r, http.StatusForbidden, "Refused", "The form's CSRF token is missing or wrong. Reload the page and try again.")
				return
			}
		}
		next(w, r, s)
	}
}

// render writes page p with status.
func (u *UI) render(w http.ResponseWriter, status int, p string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := u.pages[p].ExecuteTemplate(w, "layout", data); err != nil {
		u.o.Logger.WithError(err).WithField("page", p).Error("ui: rendering failed")
	}
}

// errorView is the data of the error page.
type errorView struct {
	Title, Message string
	LoggedIn       bool
	CSRF           string
}

// fail answers status with a short page; message is fixed text or the API's
// error message, never a secret.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	u.render(w, status, "error", errorView{Title: title, Message: message})
}

// apiFail shows an error the API answered with (or could not answer).
func (u *UI) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *adminclient.APIError
	if errors.As(err, &ae) {
		title := http.StatusText(ae.Status)
		u.fail(w, r, ae.Status, title, ae.Message)
		return
	}
	u.o.Logger.WithError(err).Error("ui: admin API call failed")
	u.fail(w, r, http.StatusBadGateway, "Error", "The admin API did not answer.")
}
