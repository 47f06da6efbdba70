package setup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
)

// routes serves the setup page and GitHub's way back; nothing else.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.start)
	mux.HandleFunc("GET /callback", s.callback)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		s.page(w, http.StatusNotFound, problemPage{Title: "Not found", Message: "This is Switchboard's setup: its page is at /."})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The page runs no script, loads nothing, cannot be framed, and
		// the address with the code in it does not leave as a Referer when
		// the user follows the install link. (No form-action: browsers
		// apply it to the redirects after the post too, and GitHub may
		// send the browser through a sign-in elsewhere, as SAML does.)
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		if !s.hostAllowed(r.Host) {
			// A page of another site that points its own name at this
			// address (DNS rebinding) must not read the state.
			s.page(w, http.StatusMisdirectedRequest, problemPage{Title: "Wrong address", Message: "Open setup at 127.0.0.1, localhost, an IP address of this machine, or the host of --public-url."})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// hostAllowed accepts an IP address, localhost, or the public URL's host.
func (s *server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if net.ParseIP(host) != nil || strings.EqualFold(host, "localhost") {
		return true
	}
	pu, err := url.Parse(s.public)
	return err == nil && strings.EqualFold(hostport, pu.Host)
}

// redirectURL is the callback as the browser reaches this server.
func (s *server) redirectURL(r *http.Request) string {
	if pu, err := url.Parse(s.public); err == nil && strings.EqualFold(r.Host, pu.Host) {
		return s.public + "/callback"
	}
	return "http://" + r.Host + "/callback"
}

type startPage struct {
	Action, Manifest, Site, Owner, Webhook string
}

func (s *server) start(w http.ResponseWriter, r *http.Request) {
	m, err := manifestJSON(s.o.Manifest, s.public+s.o.WebhookPath, s.public+"/healthz", s.redirectURL(r))
	if err != nil {
		s.log.WithError(err).Error("setup: app manifest")
		s.page(w, http.StatusInternalServerError, problemPage{Title: "Broken manifest", Message: err.Error()})
		return
	}
	owner := "your account"
	if s.o.Org != "" {
		owner = "the organization " + s.o.Org
	}
	s.render(w, http.StatusOK, startTmpl, startPage{
		Action: s.site.newAppURL(s.state), Manifest: string(m), Site: s.site.web.Host, Owner: owner,
		Webhook: s.public + s.o.WebhookPath,
	})
}

// validCode is the shape of GitHub's manifest codes: the code goes into an
// API path, so anything else is refused before it gets there.
var validCode = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)

type donePage struct {
	Slug, InstallURL, EnvFile, PEMFile, Command, Config string
	AppID                                               int64
	WroteConfig                                         bool
}

func (s *server) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !s.stateOK(q.Get("state")) {
		s.log.Warn("setup: a callback came with a state this setup did not hand out; refused")
		s.page(w, http.StatusBadRequest, problemPage{Title: "Unknown state",
			Message: "This answer does not belong to this setup run (its state differs), so it was not used. Start again from this server's first page."})
		return
	}
	code := q.Get("code")
	if !validCode.MatchString(code) {
		s.page(w, http.StatusBadRequest, problemPage{Title: "No code",
			Message: "GitHub's answer has no usable code. Start again from this server's first page."})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.result != nil {
		s.page(w, http.StatusConflict, problemPage{Title: "Already done",
			Message: "This setup has registered its App already; the credentials are written."})
		return
	}
	creds, err := s.exchange(r.Context(), code)
	if err != nil {
		s.log.WithError(err).Error("setup: the code exchange failed")
		s.page(w, http.StatusBadGateway, problemPage{Title: "Registration not completed", Message: err.Error()})
		return
	}
	if err := s.files.write(creds, s.o.Force); err != nil {
		s.log.WithError(err).Error("setup: writing the credentials failed")
		s.page(w, http.StatusInternalServerError, problemPage{Title: "Credentials not written",
			Message: fmt.Sprintf("The App %s was registered, but its credentials could not be written: %v. Delete the App on GitHub and start again.", creds.Slug, err)})
		return
	}
	s.result = &Result{AppID: creds.AppID, Slug: creds.Slug, InstallURL: s.site.installURL(creds.Slug), Files: s.files}
	if len(s.o.ExampleConfig) > 0 {
		wrote, err := writeIfAbsent(s.o.ConfigPath, s.o.ExampleConfig)
		if err != nil {
			// The credentials are written; the config is a convenience.
			s.log.WithError(err).Warn("setup: the example configuration was not written")
		}
		s.result.WroteConfig = wrote
	}
	s.render(w, http.StatusOK, doneTmpl, donePage{
		Slug: creds.Slug, AppID: creds.AppID, InstallURL: s.result.InstallURL,
		EnvFile: s.files.Env, PEMFile: s.files.PEM, Command: s.serveCommand(s.files),
		Config: s.o.ConfigPath, WroteConfig: s.result.WroteConfig,
	})
	close(s.done)
}

// errCodeRefused is the exchange's answer for a code GitHub does not know:
// used already, or older than an hour.
var errCodeRefused = errors.New("GitHub did not accept the code (HTTP 404): a code works once, within an hour of registering the App. If the App was registered, delete it on GitHub (Settings, Developer settings, GitHub Apps), then press the button again")

// exchange trades the code for the App's credentials:
// POST /app-manifests/{code}/conversions, no authentication.
func (s *server) exchange(ctx context.Context, code string) (Credentials, error) {
	client := github.NewClient(s.o.HTTPClient)
	if !s.site.dotCom() {
		c, err := client.WithEnterpriseURLs(s.site.apiURL(), s.site.page("/api/uploads/"))
		if err != nil {
			return Credentials{}, err
		}
		client = c
	}
	app, resp, err := client.Apps.CompleteAppManifest(ctx, code)
	if err != nil {
		var er *github.ErrorResponse
		switch {
		case resp != nil && resp.StatusCode == http.StatusNotFound:
			return Credentials{}, errCodeRefused
		case errors.As(err, &er) && er.Response != nil:
			return Credentials{}, fmt.Errorf("GitHub answered HTTP %d to the code exchange at %s: %s", er.Response.StatusCode, s.site.apiURL(), er.Message)
		default:
			// The error quotes the URL, which holds the one-time code.
			return Credentials{}, fmt.Errorf("the code exchange with %s failed: %s", s.site.apiURL(), strings.ReplaceAll(err.Error(), code, "<code>"))
		}
	}
	c := Credentials{
		AppID: app.GetID(), Slug: app.GetSlug(), ClientID: app.GetClientID(), ClientSecret: app.GetClientSecret(),
		WebhookSecret: app.GetWebhookSecret(), PEM: app.GetPEM(), APIURL: s.site.apiURL(),
	}
	var missing []string
	for name, empty := range map[string]bool{
		"id": c.AppID <= 0, "slug": !validCode.MatchString(c.Slug), "webhook_secret": c.WebhookSecret == "",
		"pem": !strings.HasPrefix(strings.TrimSpace(c.PEM), "-----BEGIN "),
	} {
		if empty {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return Credentials{}, fmt.Errorf("GitHub's answer to the code exchange lacks a usable %s", strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	return c, nil
}

type problemPage struct{ Title, Message string }

func (s *server) page(w http.ResponseWriter, status int, p problemPage) {
	s.render(w, status, problemTmpl, p)
}

func (s *server) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		s.log.WithError(err).Error("setup: page")
		http.Error(w, "setup: page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

const layout = `{{define "head"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Switchboard setup: {{.}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42em;margin:3em auto;padding:0 1em}code,pre{background:#f3f3f3;padding:.1em .3em}pre{padding:.6em;overflow-x:auto}button{font-size:1.1em;padding:.5em 1.2em}</style>
</head><body>{{end}}`

var (
	startTmpl = template.Must(template.New("start").Parse(layout + `{{template "head" "register the GitHub App"}}
<h1>Register Switchboard's GitHub App</h1>
<p>The button registers a GitHub App on {{.Site}} for {{.Owner}}, from Switchboard's manifest
(app.yml): its permissions, its events, and its webhook URL <code>{{.Webhook}}</code>.
GitHub asks for the App's name, then sends you back here, and setup writes the App's
credentials to files only you can read.</p>
<form action="{{.Action}}" method="post">
<input type="hidden" name="manifest" value="{{.Manifest}}">
<p><button type="submit">Register the GitHub App</button></p>
</form>
</body></html>
`))
	doneTmpl = template.Must(template.New("done").Parse(layout + `{{template "head" "done"}}
<h1>The GitHub App {{.Slug}} is registered</h1>
<p>Its ID is {{.AppID}}. Its private key, webhook secret and client secret are in
<code>{{.EnvFile}}</code> and <code>{{.PEMFile}}</code>, readable only by you.</p>
<h2>1. Install it</h2>
<p><a href="{{.InstallURL}}">Install the App</a> on the repositories Switchboard should act on.</p>
<h2>2. Run Switchboard</h2>
<pre>{{.Command}}</pre>
{{if .WroteConfig}}<p><code>{{.Config}}</code> is Switchboard's example configuration, written now: its rules
write log lines; replace them with your own (docs/rules.md).</p>{{end}}
<p>Setup has stopped: this page was its last.</p>
</body></html>
`))
	problemTmpl = template.Must(template.New("problem").Parse(layout + `{{template "head" .Title}}
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</body></html>
`))
)
