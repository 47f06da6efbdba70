package fakegithub

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// The manifest flow, as "Registering a GitHub App from a manifest" documents
// it (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
//
//  1. The browser POSTs a form with the field manifest (JSON) to
//     /settings/apps/new?state=S (or /organizations/ORG/settings/apps/new).
//     These are pages of GitHub's web site, not of its API: the fake serves
//     them at its root, outside PathPrefix, as github.com and GHES do.
//  2. GitHub creates the App and sends the browser to the manifest's
//     redirect_url with ?code=C&state=S. (On GitHub the user first names the
//     App and presses "Create GitHub App"; the fake folds that click in.)
//  3. The App's server POSTs /app-manifests/{code}/conversions, without
//     authentication, within one hour; the answer is 201 with the App's id,
//     slug, client_id, client_secret, webhook_secret and pem. A code is used
//     once: a used or expired code answers 404.
//     https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest

// docManifest is the documentation URL of the conversion endpoint.
const docManifest = "https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest"

// manifestCodeTTL is how long GitHub accepts a manifest code.
const manifestCodeTTL = time.Hour

// ManifestForm is one new-App form the fake received.
type ManifestForm struct {
	// Org is the organization of /organizations/ORG/settings/apps/new, or "".
	Org string
	// State is the state query parameter of the form's action.
	State string
	// Manifest is the manifest field, decoded.
	Manifest map[string]any
	// Code is the code the fake sent the browser back with; "" when the form
	// was refused.
	Code string
}

// ManifestConversion is one call of the conversion endpoint.
type ManifestConversion struct {
	Code string
	// Status is what the fake answered: 201, or 404 for an unknown, used or
	// expired code.
	Status int
}

// manifestCode is a code handed out by step 2.
type manifestCode struct {
	issued   time.Time
	used     bool
	manifest map[string]any
	org      string
}

// App is what the fake's GET /app and the manifest conversion describe.
type App struct {
	ID            int64
	Slug          string
	Name          string
	ClientID      string
	ClientSecret  string
	WebhookSecret string
	PEM           string
}

// SetManifestKey makes the manifest flow hand out the fake's own App: its
// ID and this key's PEM, so that the credentials a setup writes are the ones
// the fake's App endpoints accept. k must be the key whose public half the
// fake was started with; anything else is a mistake in the test and panics.
func (s *Server) SetManifestKey(k *Key) {
	if !k.PublicKey().Equal(s.opts.PublicKey) {
		panic("fakegithub: SetManifestKey: the key is not the one Options.PublicKey holds")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manifestKey = k
}

// SetInstallationCount sets installations_count in GET /app.
func (s *Server) SetInstallationCount(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.installationCount = n
}

// ManifestForms returns the new-App forms received so far.
func (s *Server) ManifestForms() []ManifestForm {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ManifestForm(nil), s.manifestForms...)
}

// ManifestConversions returns the conversion calls received so far.
func (s *Server) ManifestConversions() []ManifestConversion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ManifestConversion(nil), s.conversions...)
}

// CreatedApp returns the App the last successful conversion handed out,
// secrets included, so tests can look for them where they must not be.
func (s *Server) CreatedApp() (App, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createdApp, s.createdApp.ID != 0
}

// WebURL is the root of the fake's web site: the --github-url of a GitHub
// Enterprise Server whose API is WebURL + "api/v3/" (PathPrefix "/api/v3").
func (s *Server) WebURL() string { return s.srv.URL + "/" }

// webHandler returns the handler of a web page (outside the API), or nil.
func (s *Server) webHandler(r *http.Request) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /settings/apps/new", s.newAppForm)
	mux.HandleFunc("POST /organizations/{org}/settings/apps/new", s.newAppForm)
	if _, pattern := mux.Handler(r); pattern != "" {
		return mux // ServeHTTP sets the path values; Handler does not
	}
	return nil
}

// appRoutes adds the App endpoints of the manifest flow and GET /app.
func (s *Server) appRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /app", s.app(s.getApp))
	mux.HandleFunc("POST /app-manifests/{code}/conversions", s.convertManifest)
}

// newAppForm is step 1 and 2: it checks the manifest's required fields
// (url, hook_attributes.url when hook_attributes is given, redirect_url for
// the flow to come back) and redirects to redirect_url with code and state.
// GitHub shows an error page for a bad manifest; the fake answers 422 with
// the reason as text.
func (s *Server) newAppForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	form := ManifestForm{Org: r.PathValue("org"), State: r.URL.Query().Get("state")}
	problem := ""
	if err := json.Unmarshal([]byte(r.PostForm.Get("manifest")), &form.Manifest); err != nil {
		problem = "manifest: not a JSON object"
	}
	redirect, _ := form.Manifest["redirect_url"].(string)
	if problem == "" {
		problem = manifestProblem(form.Manifest)
	}
	target, err := url.Parse(redirect)
	if problem == "" && (err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "") {
		problem = "redirect_url: must be an absolute http or https URL"
	}
	if problem != "" {
		s.mu.Lock()
		s.manifestForms = append(s.manifestForms, form)
		s.mu.Unlock()
		http.Error(w, problem, http.StatusUnprocessableEntity)
		return
	}
	code := randomHex(10)
	s.mu.Lock()
	if s.manifestCodes == nil {
		s.manifestCodes = map[string]*manifestCode{}
	}
	s.manifestCodes[code] = &manifestCode{issued: s.opts.Now(), manifest: form.Manifest, org: form.Org}
	form.Code = code
	s.manifestForms = append(s.manifestForms, form)
	s.mu.Unlock()
	q := target.Query()
	q.Set("code", code)
	if form.State != "" {
		q.Set("state", form.State)
	}
	target.RawQuery = q.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// manifestProblem names the first required manifest field that is missing.
func manifestProblem(m map[string]any) string {
	if u, _ := m["url"].(string); u == "" {
		return "url: is required"
	}
	if h, ok := m["hook_attributes"]; ok {
		ha, _ := h.(map[string]any)
		if u, _ := ha["url"].(string); u == "" {
			return "hook_attributes.url: is required"
		}
	}
	if _, ok := m["redirect_url"].(string); !ok {
		return "redirect_url: the fake needs one to send the browser back"
	}
	return ""
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// convertManifest answers POST /app-manifests/{code}/conversions.
func (s *Server) convertManifest(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	s.mu.Lock()
	c, ok := s.manifestCodes[code]
	valid := ok && !c.used && s.opts.Now().Sub(c.issued) < manifestCodeTTL && s.manifestKey != nil
	status := http.StatusCreated
	if !valid {
		status = http.StatusNotFound
	}
	s.conversions = append(s.conversions, ManifestConversion{Code: code, Status: status})
	if !valid {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", docManifest)
		return
	}
	c.used = true
	name, _ := c.manifest["name"].(string)
	if name == "" {
		name = s.opts.AppSlug
	}
	app := App{
		ID:            s.opts.AppID,
		Name:          name,
		Slug:          strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-"),
		ClientID:      "Iv1." + randomHex(8),
		ClientSecret:  randomHex(20),
		WebhookSecret: randomHex(20),
		PEM:           string(s.manifestKey.PEM),
	}
	s.createdApp = app
	owner := c.org
	s.mu.Unlock()
	if owner == "" {
		owner = "octocat"
	}
	body := s.appJSON(app, owner)
	body["client_id"] = app.ClientID
	body["client_secret"] = app.ClientSecret
	body["webhook_secret"] = app.WebhookSecret
	body["pem"] = app.PEM
	writeJSON(w, http.StatusCreated, body)
}

// getApp answers GET /app: the authenticated App, with installations_count.
// https://docs.github.com/rest/apps/apps#get-the-authenticated-app
func (s *Server) getApp(w http.ResponseWriter, _ *http.Request, _ caller) {
	s.mu.Lock()
	app := s.createdApp
	n := s.installationCount
	s.mu.Unlock()
	if app.ID == 0 {
		app = App{ID: s.opts.AppID, Slug: s.opts.AppSlug, Name: s.opts.AppSlug}
	}
	body := s.appJSON(app, "octocat")
	body["installations_count"] = n
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) appJSON(app App, owner string) map[string]any {
	now := s.opts.Now().UTC().Format(time.RFC3339)
	return map[string]any{
		"id":         app.ID,
		"slug":       app.Slug,
		"node_id":    fmt.Sprintf("A_%d", app.ID),
		"name":       app.Name,
		"owner":      user(owner),
		"html_url":   s.srv.URL + "/apps/" + app.Slug,
		"created_at": now,
		"updated_at": now,
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b)
}
