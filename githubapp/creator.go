// Package githubapp builds GitHub API clients for a GitHub App: one that
// authenticates as the App itself (a short-lived JWT) and one per
// installation (an installation token), cached so that an installation's
// token is exchanged about once an hour rather than once per call. It also
// extracts the facts a retry decision needs from go-github's errors; the
// decision itself belongs to package actions.
package githubapp

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/logfield"
)

// Defaults for Options.
const (
	DefaultBaseURL   = "https://api.github.com/"
	DefaultCacheSize = 256
	DefaultTimeout   = 30 * time.Second
	DefaultUserAgent = "switchboard"
)

// ErrNoCredentials is returned by New when neither an App ID nor a private key
// is given: the server can still run every action that needs no GitHub App.
var ErrNoCredentials = errors.New("githubapp: no GitHub App credentials (App ID and private key) configured")

// Options configures a Creator.
type Options struct {
	// AppID is the GitHub App's ID, the issuer of its JWTs.
	AppID int64
	// PrivateKey is the App's private key as GitHub hands it out (PEM,
	// PKCS#1 "RSA PRIVATE KEY"; PKCS#8 "PRIVATE KEY" is accepted too).
	PrivateKey []byte
	// BaseURL is the REST API root (github.api_url): default
	// https://api.github.com/; on GitHub Enterprise Server https://HOST/api/v3/.
	BaseURL string
	// HTTPClient supplies the transport and timeout; default a client on
	// http.DefaultTransport with DefaultTimeout.
	HTTPClient *http.Client
	// Logger receives debug lines about the client cache; default discards.
	Logger *logrus.Entry
	// Registerer, when set, gets the package's metrics.
	Registerer prometheus.Registerer
	// CacheSize bounds how many installations' clients are kept; the least
	// recently used is dropped past it. Default DefaultCacheSize.
	CacheSize int
	// UserAgent is sent with every request (GitHub asks for one); default
	// DefaultUserAgent.
	UserAgent string
}

// Creator hands out GitHub clients for one App. It is safe for concurrent use.
type Creator struct {
	appID     int64
	key       keyPair
	baseURL   *url.URL
	uploadURL *url.URL
	timeout   time.Duration
	userAgent string
	instRT    http.RoundTripper
	log       *logrus.Entry
	metrics   *metrics
	app       *github.Client

	mu    sync.Mutex
	cache *lru
}

// New checks the options, parses the private key and builds the App client.
// Its errors name what is wrong and never include the key.
func New(o Options) (*Creator, error) {
	if o.AppID == 0 && len(strings.TrimSpace(string(o.PrivateKey))) == 0 {
		return nil, ErrNoCredentials
	}
	if o.AppID <= 0 {
		return nil, fmt.Errorf("githubapp: a private key is given but the App ID is %d; GitHub shows the App ID on the App's settings page", o.AppID)
	}
	key, err := parsePrivateKey(o.PrivateKey)
	if err != nil {
		return nil, err
	}
	base, err := parseBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if o.Logger == nil {
		l := logrus.New()
		l.Out = discard{}
		o.Logger = logrus.NewEntry(l)
	}
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	var rt http.RoundTripper = http.DefaultTransport
	timeout := DefaultTimeout
	if o.HTTPClient != nil {
		timeout = o.HTTPClient.Timeout
		if o.HTTPClient.Transport != nil {
			rt = o.HTTPClient.Transport
		}
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	c := &Creator{
		appID:     o.AppID,
		key:       key,
		baseURL:   base,
		uploadURL: uploadURL(base),
		timeout:   timeout,
		userAgent: o.UserAgent,
		instRT:    &instrumented{next: rt, client: "installation", metrics: m},
		log:       o.Logger.WithField(logfield.Component, "githubapp"),
		metrics:   m,
		cache:     newLRU(o.CacheSize),
	}
	atr := ghinstallation.NewAppsTransportFromPrivateKey(&instrumented{next: rt, client: "app", metrics: m}, o.AppID, key.private)
	atr.BaseURL = c.apiRoot()
	c.app = c.newClient(atr)
	return c, nil
}

// App returns the client that authenticates as the App with a JWT (issuer:
// the App ID), for the /app endpoints such as the webhook delivery log.
func (c *Creator) App() *github.Client { return c.app }

// Installation returns the client that acts as installation id, from the
// cache when there is one. Its transport exchanges an App JWT for an
// installation token on first use and again a minute before the token
// expires (ghinstallation does this), so one transport per installation is
// kept to reuse the token. The token asks for the installation's full
// access: InstallationTokenOptions is empty.
func (c *Creator) Installation(id int64) (*github.Client, error) {
	if id <= 0 {
		return nil, fmt.Errorf("githubapp: installation ID %d is not valid (the delivery carries none?)", id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.cache.get(id); ok {
		return cl, nil
	}
	// One AppsTransport per installation: ghinstallation writes to the
	// AppsTransport while refreshing a token, so sharing one would race.
	atr := ghinstallation.NewAppsTransportFromPrivateKey(c.instRT, c.appID, c.key.private)
	itr := ghinstallation.NewFromAppsTransport(atr, id)
	itr.BaseURL = c.apiRoot()
	itr.InstallationTokenOptions = &github.InstallationTokenOptions{}
	cl := c.newClient(&tokenErrors{next: itr, installation: id})
	if evicted, ok := c.cache.add(id, cl); ok {
		c.log.WithField("installation", evicted).Debug("installation client dropped from cache")
	}
	c.metrics.clients.Set(float64(c.cache.len()))
	c.log.WithField("installation", id).Debug("installation client created")
	return cl, nil
}

// newClient wraps rt in a go-github client aimed at the configured API.
func (c *Creator) newClient(rt http.RoundTripper) *github.Client {
	gc := github.NewClient(&http.Client{Transport: rt, Timeout: c.timeout})
	b, u := *c.baseURL, *c.uploadURL
	gc.BaseURL, gc.UploadURL = &b, &u
	gc.UserAgent = c.userAgent
	return gc
}

// apiRoot is the API root without its trailing slash, as ghinstallation
// wants it: it appends "/app/installations/{id}/access_tokens".
func (c *Creator) apiRoot() string { return strings.TrimRight(c.baseURL.String(), "/") }

// parseBaseURL checks github.api_url and gives it the trailing slash
// go-github needs. It is used as given: a GHES URL must include /api/v3/.
func parseBaseURL(s string) (*url.URL, error) {
	if s == "" {
		s = DefaultBaseURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("githubapp: API URL %q is not an absolute http(s) URL such as %s or https://HOST/api/v3/", redact(s), DefaultBaseURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("githubapp: API URL %q must not carry credentials, a query or a fragment", u.Redacted())
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// redact hides credentials in a URL that may not parse.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		return "<redacted>" + s[i:]
	}
	return s
}

// uploadURL derives the uploads root: GHES serves it at /api/uploads/.
func uploadURL(base *url.URL) *url.URL {
	u := *base
	switch {
	case u.Host == "api.github.com":
		u.Host, u.Path = "uploads.github.com", "/"
	case strings.HasSuffix(u.Path, "/api/v3/"):
		u.Path = strings.TrimSuffix(u.Path, "/api/v3/") + "/api/uploads/"
	}
	return &u
}

// discard is the default log sink.
type discard struct{}

// Write drops p.
func (discard) Write(p []byte) (int, error) { return len(p), nil }
