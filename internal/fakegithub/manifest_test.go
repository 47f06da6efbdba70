package fakegithub

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func postForm(t *testing.T, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestManifestFormRefusesBadManifests(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.PathPrefix = "/api/v3" })
	for name, tc := range map[string]struct{ manifest, want string }{
		"not JSON":        {"{", "manifest: not a JSON object"},
		"no url":          {`{"hook_attributes":{"url":"https://x/webhook"},"redirect_url":"https://x/"}`, "url: is required"},
		"no hook url":     {`{"url":"https://x","hook_attributes":{"active":true},"redirect_url":"https://x/"}`, "hook_attributes.url: is required"},
		"no redirect":     {`{"url":"https://x"}`, "redirect_url: the fake needs one to send the browser back"},
		"relative return": {`{"url":"https://x","redirect_url":"/back"}`, "redirect_url: must be an absolute http or https URL"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := postForm(t, f.s.WebURL()+"settings/apps/new?state=s", url.Values{"manifest": {tc.manifest}})
			if resp.StatusCode != http.StatusUnprocessableEntity || strings.TrimSpace(body) != tc.want {
				t.Errorf("%d %q, want 422 %q", resp.StatusCode, body, tc.want)
			}
		})
	}
	if forms := f.s.ManifestForms(); len(forms) != 5 || forms[0].Code != "" {
		t.Errorf("forms = %+v", forms)
	}
	// The web pages live outside the API prefix, the API inside it.
	if resp, _ := postForm(t, f.s.URL()+"settings/apps/new", url.Values{"manifest": {`{}`}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the form below /api/v3: %d", resp.StatusCode)
	}
}

func TestManifestConversionAndGetApp(t *testing.T) {
	f := newFixture(t, nil)
	f.s.SetManifestKey(f.key)
	f.s.SetInstallationCount(5)
	// Before the flow: GET /app describes the fake's App; it needs a JWT.
	if resp, body := do(t, "GET", f.s.URL()+"app", "", nil); resp.StatusCode != 401 || !strings.Contains(string(body), msgJWTUndecodable) {
		t.Errorf("GET /app without a JWT: %d %s", resp.StatusCode, body)
	}
	resp, body := postForm(t, f.s.WebURL()+"organizations/acme/settings/apps/new?state=st8",
		url.Values{"manifest": {`{"name":"Acme Switchboard!","url":"https://x","hook_attributes":{"url":"https://x/webhook"},"redirect_url":"https://x/cb?keep=1"}`}})
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("form: %d %s", resp.StatusCode, body)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Host != "x" || loc.Path != "/cb" || loc.Query().Get("keep") != "1" || loc.Query().Get("state") != "st8" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect to %s", loc)
	}
	resp, raw := do(t, "POST", f.s.URL()+"app-manifests/"+loc.Query().Get("code")+"/conversions", "", nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("conversion: %d %s", resp.StatusCode, raw)
	}
	var app map[string]any
	if err := json.Unmarshal(raw, &app); err != nil {
		t.Fatal(err)
	}
	if app["id"] != float64(testAppID) || app["slug"] != "acme-switchboard" || app["pem"] != string(f.key.PEM) ||
		app["webhook_secret"] == "" || app["client_secret"] == "" || dig(app, "owner", "login") != "acme" {
		t.Errorf("app = %v", app)
	}
	resp, raw = do(t, "GET", f.s.URL()+"app", "Bearer "+f.appJWT(t), nil)
	var got map[string]any
	_ = json.Unmarshal(raw, &got)
	if resp.StatusCode != 200 || got["slug"] != "acme-switchboard" || got["installations_count"] != float64(5) || got["pem"] != nil || got["client_secret"] != nil {
		t.Errorf("GET /app: %d %v", resp.StatusCode, got)
	}
	// An unknown code.
	if resp, body := do(t, "POST", f.s.URL()+"app-manifests/nope/conversions", "", nil); resp.StatusCode != 404 || !strings.Contains(string(body), docManifest) {
		t.Errorf("unknown code: %d %s", resp.StatusCode, body)
	}
}

func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, _ := v.(map[string]any)
		v = mm[k]
	}
	return v
}

func TestSetManifestKeyRefusesAnotherKey(t *testing.T) {
	f := newFixture(t, nil)
	other, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	f.s.SetManifestKey(other)
}
