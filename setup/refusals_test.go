package setup_test

import (
	"context"
	"errors"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/envfile"
	"github.com/switchboard-dev/switchboard/setup"
)

func TestSetupRefusesAWrongState(t *testing.T) {
	r := startSetup(t, nil)
	back, _ := r.press(t)
	q := back.Query()
	q.Set("state", strings.Repeat("0", 64))
	back.RawQuery = q.Encode()
	resp, page := r.get(t, back.String())
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "This answer does not belong to this setup run (its state differs), so it was not used.") {
		t.Fatalf("wrong state: %d %s", resp.StatusCode, page)
	}
	q.Del("state")
	back.RawQuery = q.Encode()
	if resp, _ := r.get(t, back.String()); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no state: %d", resp.StatusCode)
	}
	if n := len(r.gh.ManifestConversions()); n != 0 {
		t.Errorf("the code was exchanged %d times", n)
	}
	if _, err := os.Stat(filepath.Join(r.out, setup.EnvFileName)); err == nil {
		t.Error("credentials written")
	}
	r.assertNoSecrets(t, q.Get("code"))
}

func TestSetupExpiredCodeIsExplainedAndCanBeRetried(t *testing.T) {
	r := startSetup(t, nil)
	back, _ := r.press(t)
	r.skew.Store(int64(61 * time.Minute))
	resp, page := r.get(t, back.String())
	want := "GitHub did not accept the code (HTTP 404): a code works once, within an hour of registering the App. If the App was registered, delete it on GitHub (Settings, Developer settings, GitHub Apps), then press the button again"
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(page, html.EscapeString(want)) {
		t.Fatalf("expired code: %d %s", resp.StatusCode, page)
	}
	if !strings.Contains(r.logs.String(), "setup: the code exchange failed") {
		t.Errorf("logs: %s", r.logs.String())
	}
	if _, err := os.Stat(filepath.Join(r.out, setup.PEMFileName)); err == nil {
		t.Error("credentials written")
	}
	r.assertNoSecrets(t, back.Query().Get("code"))

	// The page stays up; the second press works.
	r.skew.Store(0)
	back, _ = r.press(t)
	if resp, page := r.get(t, back.String()); resp.StatusCode != 200 {
		t.Fatalf("second try: %d %s", resp.StatusCode, page)
	}
	if res := r.wait(t); res.err != nil {
		t.Fatal(res.err)
	}
	if c := r.gh.ManifestConversions(); len(c) != 2 || c[0].Status != 404 || c[1].Status != 201 {
		t.Errorf("conversions = %+v", c)
	}
}

func TestSetupUsedCodeIsRefused(t *testing.T) {
	gh, _, _ := newFake(t)
	// A code used once (by someone who saw it) answers 404 the second time.
	form := url.Values{"manifest": {`{"url":"https://x","hook_attributes":{"url":"https://x/webhook"},"redirect_url":"http://127.0.0.1:1/callback"}`}}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(gh.WebURL()+"settings/apps/new?state=s", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	for i, want := range []int{201, 404} {
		resp, err := http.Post(gh.URL()+"app-manifests/"+code+"/conversions", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("conversion %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}

func TestSetupRefusesToOverwriteWithoutForce(t *testing.T) {
	out := t.TempDir()
	envPath := filepath.Join(out, setup.EnvFileName)
	if err := os.WriteFile(envPath, []byte("GITHUB_APP_ID=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := setup.Run(context.Background(), setup.Options{Addr: "127.0.0.1:0", PublicURL: publicURL, OutDir: out, Manifest: switchboard.AppManifest()})
	want := envPath + " already exists: setup will not replace existing credentials; pass --force to replace them, or --out another directory"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if b, _ := os.ReadFile(envPath); string(b) != "GITHUB_APP_ID=1\n" {
		t.Error("the existing file changed")
	}

	// With --force the flow replaces both, and the mode becomes 0600.
	if err := os.WriteFile(filepath.Join(out, setup.PEMFileName), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startSetup(t, func(o *setup.Options) { o.OutDir = out; o.Force = true })
	back, _ := r.press(t)
	if resp, page := r.get(t, back.String()); resp.StatusCode != 200 {
		t.Fatalf("callback: %d %s", resp.StatusCode, page)
	}
	if res := r.wait(t); res.err != nil {
		t.Fatal(res.err)
	}
	for _, p := range []string{envPath, filepath.Join(out, setup.PEMFileName)} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", p, fi.Mode(), err)
		}
	}
	vars, err := envfile.Read(envPath)
	if err != nil || vars["GITHUB_APP_ID"] != "4242" {
		t.Errorf("env file after --force: %v %v", vars, err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 2 {
		t.Errorf("the directory holds %d entries, want the 2 files: %v", len(entries), entries)
	}
}

func TestSetupHostileRequests(t *testing.T) {
	r := startSetup(t, nil)
	// Another site's name pointed at this address (DNS rebinding) is refused.
	req, _ := http.NewRequest("GET", r.base+"/", nil)
	req.Host = "attacker.example:80"
	resp, err := r.browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest || strings.Contains(string(b), "state=") {
		t.Errorf("foreign Host: %d %s", resp.StatusCode, b)
	}
	// The public URL's host is accepted, and the way back is then the public URL.
	req, _ = http.NewRequest("GET", r.base+"/", nil)
	req.Host = "switchboard.example.com"
	resp, err = r.browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(html.UnescapeString(string(b)), `"redirect_url":"`+publicURL+`/callback"`) {
		t.Errorf("public host: %d %s", resp.StatusCode, b)
	}

	// The state is right but the code would climb out of its path.
	back, _ := r.press(t)
	state := back.Query().Get("state")
	for _, code := range []string{"../../app/hook/config", "a b", "", strings.Repeat("a", 101)} {
		resp, page := r.get(t, r.base+"/callback?"+url.Values{"state": {state}, "code": {code}}.Encode())
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "GitHub&#39;s answer has no usable code.") {
			t.Errorf("code %q: %d %s", code, resp.StatusCode, page)
		}
	}
	if n := len(r.gh.ManifestConversions()); n != 0 {
		t.Errorf("%d conversions", n)
	}
	for _, path := range []string{"/webhook", "/healthz", "/api/v1/deliveries"} {
		if resp, _ := r.get(t, r.base+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	if resp, err := r.browser.Post(r.base+"/callback", "text/plain", nil); err != nil || resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /callback: %v %v", resp, err)
	}
}

func TestSetupOrganizationAndGitHubCom(t *testing.T) {
	r := startSetup(t, func(o *setup.Options) { o.Org = "acme" })
	r.press(t)
	if f := r.gh.ManifestForms(); len(f) != 1 || f[0].Org != "acme" {
		t.Errorf("forms = %+v", f)
	}

	// github.com: the form goes to github.com; the page runs and loads nothing.
	r2 := startSetup(t, func(o *setup.Options) { o.GitHubURL = "" })
	resp, page := r2.get(t, r2.base+"/")
	m := formAction.FindStringSubmatch(page)
	if m == nil || !strings.HasPrefix(html.UnescapeString(m[1]), "https://github.com/settings/apps/new?state=") {
		t.Errorf("form action: %v", m)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); csp != "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'" {
		t.Errorf("CSP = %q", csp)
	}
	if rp := resp.Header.Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("Referrer-Policy = %q", rp)
	}
}

func TestSetupBadOptions(t *testing.T) {
	for name, tc := range map[string]struct {
		o    setup.Options
		want string
	}{
		"no public url":  {setup.Options{}, "--public-url is required: the address GitHub will send webhooks to, such as https://switchboard.example.com"},
		"relative":       {setup.Options{PublicURL: "switchboard.example.com"}, `--public-url "switchboard.example.com" must be an absolute http or https URL, such as https://switchboard.example.com`},
		"credentials":    {setup.Options{PublicURL: "https://u:p@x.example"}, "--public-url must not hold credentials, a query or a fragment"},
		"github url":     {setup.Options{PublicURL: publicURL, GitHubURL: "ftp://x"}, `--github-url "ftp://x" must be an absolute http or https URL, such as https://github.example.com`},
		"org":            {setup.Options{PublicURL: publicURL, Org: "a/b"}, `--org "a/b" is not an organization name`},
		"webhook path":   {setup.Options{PublicURL: publicURL, WebhookPath: "hook"}, `--webhook-path "hook" must start with /`},
		"address in use": {setup.Options{PublicURL: publicURL, Addr: "256.0.0.1:1"}, "listen on 256.0.0.1:1: "},
	} {
		t.Run(name, func(t *testing.T) {
			tc.o.Manifest = switchboard.AppManifest()
			tc.o.OutDir = t.TempDir()
			_, err := setup.Run(context.Background(), tc.o)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || (!strings.HasSuffix(tc.want, " ") && err.Error() != tc.want) {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
		})
	}
}

// TestSetupCredentialsNotWritten: when the credentials cannot be written
// after GitHub registered the App (here the --out directory is gone by
// then; a read-only one fails the same way, but not for root, who runs
// CI), the page says so and what to do, and shows, prints and logs no
// secret.
func TestSetupCredentialsNotWritten(t *testing.T) {
	out := filepath.Join(t.TempDir(), "creds")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	r := startSetup(t, func(o *setup.Options) { o.OutDir = out })
	back, _ := r.press(t)
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	resp, page := r.get(t, back.String())
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("callback: %d %s", resp.StatusCode, page)
	}
	for _, want := range []string{"Credentials not written", "was registered, but its credentials could not be written", "no such file or directory", "Delete the App on GitHub and start again."} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	r.assertNoSecrets(t, back.Query().Get("code"))
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("setup made the directory or wrote into it: %v", err)
	}
}
