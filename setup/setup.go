// Package setup registers Switchboard's GitHub App through GitHub's
// manifest flow: it serves a one-button page whose form posts app.yml (as
// JSON) to GitHub, takes the code GitHub sends the browser back with,
// exchanges it for the App's credentials and writes them to files only
// their owner can read. It runs only under `switchboard setup`; `serve`
// never mounts it.
package setup

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// DefaultAddr is where setup listens unless told otherwise: loopback only,
// since the page hands out the state that the callback trusts.
const DefaultAddr = "127.0.0.1:3000"

// Options configure Run.
type Options struct {
	// Addr is the listen address; default DefaultAddr.
	Addr string
	// PublicURL is where GitHub will reach Switchboard: the App's webhook
	// URL is PublicURL + WebhookPath. Required.
	PublicURL string
	// WebhookPath is server.webhook_path; default /webhook.
	WebhookPath string
	// GitHubURL is github.com (the default) or a GitHub Enterprise Server.
	GitHubURL string
	// Org registers the App for an organization instead of the user.
	Org string
	// OutDir receives the credential files; default the current directory.
	OutDir string
	// Force replaces existing credential files.
	Force bool
	// Manifest is app.yml.
	Manifest []byte
	// ConfigPath is the configuration serve will read, for the command the
	// last page shows; default switchboard.yml.
	ConfigPath string
	// ExampleConfig, when set, is written to ConfigPath (mode 0644) once
	// the App is registered, if no file is there yet, so that the command
	// shown runs as it is.
	ExampleConfig []byte
	// HTTPClient makes the conversion call; a default when nil.
	HTTPClient *http.Client
	// Logger hears problems; it never hears a secret.
	Logger *logrus.Entry
	// Out hears what the user must do next (stdout).
	Out io.Writer
	// OnListen, when set, hears the bound address (tests listen on :0).
	OnListen func(net.Addr)
}

// Result is what a completed setup registered and wrote.
type Result struct {
	AppID      int64
	Slug       string
	InstallURL string
	Files      Files
	// WroteConfig is true when ExampleConfig was written to ConfigPath.
	WroteConfig bool
}

// Run checks the options, serves the setup page until the App is
// registered and its credentials written (then it returns them) or ctx
// ends (then it returns ctx's error). A failed exchange is shown on the
// page and logged, and the page stays up for another try.
func Run(ctx context.Context, o Options) (*Result, error) {
	s, err := newServer(o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.o.Addr, err)
	}
	srv := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      90 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if s.o.OnListen != nil {
		s.o.OnListen(ln.Addr())
	}
	fmt.Fprintf(s.o.Out, "switchboard setup: open %s in a browser signed in to %s and press the button.\n", localURL(ln.Addr()), s.site.web.Host)

	var runErr error
	select {
	case <-ctx.Done():
		runErr = ctx.Err()
	case <-s.done:
	case runErr = <-served:
	}
	// Shutdown lets the last page finish before the listener goes.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	s.mu.Lock() // a callback may still be exchanging its code
	r := s.result
	s.mu.Unlock()
	if r == nil {
		if runErr == nil || errors.Is(runErr, http.ErrServerClosed) {
			runErr = errors.New("setup stopped before the App was registered")
		}
		return nil, runErr
	}
	fmt.Fprintf(s.o.Out, "Registered the GitHub App %s (ID %d); its credentials are in %s and %s (mode 0600).\n", r.Slug, r.AppID, r.Files.Env, r.Files.PEM)
	if r.WroteConfig {
		fmt.Fprintf(s.o.Out, "Wrote the example configuration to %s: it reads the App's credentials from the env file.\n", s.o.ConfigPath)
	}
	fmt.Fprintf(s.o.Out, "Next, install it: %s\n", r.InstallURL)
	fmt.Fprintf(s.o.Out, "Then run: %s\n", s.serveCommand(r.Files))
	return r, nil
}

// server is one setup run.
type server struct {
	o      Options
	site   gitHubSite
	public string
	state  string
	files  Files
	log    *logrus.Entry

	mu     sync.Mutex // one exchange at a time
	result *Result
	done   chan struct{}
}

func newServer(o Options) (*server, error) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.WebhookPath == "" {
		o.WebhookPath = "/webhook"
	}
	if !strings.HasPrefix(o.WebhookPath, "/") {
		return nil, fmt.Errorf("--webhook-path %q must start with /", o.WebhookPath)
	}
	if o.OutDir == "" {
		o.OutDir = "."
	}
	if o.ConfigPath == "" {
		o.ConfigPath = "switchboard.yml"
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		o.Logger = logrus.NewEntry(l)
	}
	if len(o.Manifest) == 0 {
		return nil, errors.New("setup: no app manifest")
	}
	public, err := publicBase(o.PublicURL)
	if err != nil {
		return nil, err
	}
	site, err := newSite(o.GitHubURL, o.Org)
	if err != nil {
		return nil, err
	}
	files, err := filesIn(o.OutDir)
	if err != nil {
		return nil, err
	}
	if err := files.refuseExisting(o.Force); err != nil {
		return nil, err
	}
	// The manifest must be usable before anyone presses the button.
	if _, err := manifestJSON(o.Manifest, "https://x/", "https://x/", "https://x/"); err != nil {
		return nil, err
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	return &server{o: o, site: site, public: public, state: hex.EncodeToString(buf), files: files,
		log: o.Logger, done: make(chan struct{})}, nil
}

func (s *server) serveCommand(f Files) string {
	return "switchboard serve -c " + shellQuote(s.o.ConfigPath) + " --env-file " + shellQuote(f.Env)
}

// stateOK compares in constant time: the state is what keeps another site
// from feeding this server a code of its choosing.
func (s *server) stateOK(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.state)) == 1
}

// localURL is the address to open in a browser for a listener on addr.
func localURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
