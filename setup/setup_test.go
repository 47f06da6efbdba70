package setup_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"gopkg.in/yaml.v3"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/envfile"
	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/server"
	"github.com/switchboard-dev/switchboard/setup"
)

const publicURL = "https://switchboard.example.com"

// syncBuffer is a bytes.Buffer that the setup goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run is one setup run against a fake GitHub Enterprise Server.
type run struct {
	gh      *fakegithub.Server
	key     *fakegithub.Key
	skew    *atomic.Int64 // nanoseconds added to the fake's clock
	out     string        // --out
	base    string        // the setup server, http://127.0.0.1:PORT
	stdout  *syncBuffer
	logs    *syncBuffer
	pages   *syncBuffer // every page body the browser saw
	browser *http.Client
	result  chan runResult
	cancel  context.CancelFunc
}

type runResult struct {
	res *setup.Result
	err error
}

func newFake(t *testing.T) (*fakegithub.Server, *fakegithub.Key, *atomic.Int64) {
	t.Helper()
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	skew := new(atomic.Int64)
	gh := fakegithub.New(fakegithub.Options{AppID: 4242, PublicKey: key.PublicKey(), PathPrefix: "/api/v3",
		Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	t.Cleanup(gh.Close)
	gh.SetManifestKey(key)
	return gh, key, skew
}

func startSetup(t *testing.T, mod func(*setup.Options)) *run {
	t.Helper()
	gh, key, skew := newFake(t)
	r := &run{gh: gh, key: key, skew: skew, out: t.TempDir(), stdout: &syncBuffer{}, logs: &syncBuffer{}, pages: &syncBuffer{},
		result: make(chan runResult, 1)}
	logger := logrus.New()
	logger.SetOutput(r.logs)
	logger.SetLevel(logrus.DebugLevel)
	listening := make(chan net.Addr, 1)
	o := setup.Options{
		Addr: "127.0.0.1:0", PublicURL: publicURL, GitHubURL: gh.WebURL(), OutDir: r.out,
		Manifest: switchboard.AppManifest(), ConfigPath: "switchboard.yml",
		Logger: logrus.NewEntry(logger), Out: r.stdout, OnListen: func(a net.Addr) { listening <- a },
	}
	if mod != nil {
		mod(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		res, err := setup.Run(ctx, o)
		r.result <- runResult{res, err}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.result:
		case <-time.After(30 * time.Second):
			t.Error("setup did not stop")
		}
	})
	select {
	case a := <-listening:
		r.base = "http://" + a.String()
	case res := <-r.result:
		t.Fatalf("setup ended before listening: %v", res.err)
	}
	// A browser that shows each redirect to the test instead of following it.
	r.browser = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return r
}

func (r *run) get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := r.browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r.pages.Write(b)
	return resp, string(b)
}

var (
	formAction    = regexp.MustCompile(`<form action="([^"]+)" method="post">`)
	manifestField = regexp.MustCompile(`<input type="hidden" name="manifest" value="([^"]+)">`)
	hrefRE        = regexp.MustCompile(`<a href="([^"]+)">`)
)

// press loads the setup page and submits its form to the fake GitHub as a
// browser does; it returns where GitHub sends the browser back, and the
// manifest the form held.
func (r *run) press(t *testing.T) (*url.URL, map[string]any) {
	t.Helper()
	resp, page := r.get(t, r.base+"/")
	if resp.StatusCode != 200 {
		t.Fatalf("setup page: %d %s", resp.StatusCode, page)
	}
	if strings.Contains(page, "<script") {
		t.Error("the setup page has a script")
	}
	am, mm := formAction.FindStringSubmatch(page), manifestField.FindStringSubmatch(page)
	if am == nil || mm == nil {
		t.Fatalf("no form with a manifest field in:\n%s", page)
	}
	action, manifest := html.UnescapeString(am[1]), html.UnescapeString(mm[1])
	var m map[string]any
	if err := json.Unmarshal([]byte(manifest), &m); err != nil {
		t.Fatalf("manifest field is not JSON: %v", err)
	}
	resp, err := r.browser.PostForm(action, url.Values{"manifest": {manifest}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("new-App form: %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return back, m
}

func (r *run) wait(t *testing.T) runResult {
	t.Helper()
	select {
	case res := <-r.result:
		r.result <- res // for Cleanup
		return res
	case <-time.After(30 * time.Second):
		t.Fatal("setup did not finish")
	}
	return runResult{}
}

// assertNoSecrets fails when any secret of the created App, or the code,
// shows in what setup printed, logged or showed.
func (r *run) assertNoSecrets(t *testing.T, codes ...string) {
	t.Helper()
	app, ok := r.gh.CreatedApp()
	secrets := append([]string{}, codes...)
	if ok {
		secrets = append(secrets, app.WebhookSecret, app.ClientSecret)
	}
	// Any line of the key's body.
	lines := strings.Split(strings.TrimSpace(string(r.key.PEM)), "\n")
	secrets = append(secrets, lines[1], lines[len(lines)/2])
	for where, text := range map[string]string{"stdout": r.stdout.String(), "logs": r.logs.String(), "pages": r.pages.String()} {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("a secret shows in %s:\n%s", where, text)
			}
		}
	}
}

func TestSetupRegistersTheAppAndServeAcceptsItsCredentials(t *testing.T) {
	r := startSetup(t, func(o *setup.Options) {
		o.ConfigPath = filepath.Join(o.OutDir, "switchboard.yml")
		o.ExampleConfig = switchboard.ExampleConfig()
	})
	back, m := r.press(t)

	// The form carried app.yml with this deployment's addresses.
	var appYML map[string]any
	if err := yaml.Unmarshal(switchboard.AppManifest(), &appYML); err != nil {
		t.Fatal(err)
	}
	hook := m["hook_attributes"].(map[string]any)
	if hook["url"] != publicURL+"/webhook" || hook["active"] != true {
		t.Errorf("hook_attributes = %v", hook)
	}
	if m["setup_url"] != publicURL+"/healthz" {
		t.Errorf("setup_url = %v", m["setup_url"])
	}
	if m["redirect_url"] != r.base+"/callback" {
		t.Errorf("redirect_url = %v, want %s/callback", m["redirect_url"], r.base)
	}
	for _, k := range []string{"name", "url", "description", "public", "default_events", "default_permissions"} {
		a, _ := json.Marshal(m[k])
		b, _ := json.Marshal(appYML[k])
		if !bytes.Equal(a, b) {
			t.Errorf("manifest %s = %s, app.yml has %s", k, a, b)
		}
	}
	forms := r.gh.ManifestForms()
	if len(forms) != 1 || forms[0].Org != "" || forms[0].State == "" || len(forms[0].State) < 32 {
		t.Fatalf("forms = %+v", forms)
	}
	if back.Query().Get("state") != forms[0].State || back.Query().Get("code") == "" {
		t.Fatalf("GitHub sent the browser back to %s", back)
	}

	resp, page := r.get(t, back.String())
	if resp.StatusCode != 200 {
		t.Fatalf("callback: %d %s", resp.StatusCode, page)
	}
	res := r.wait(t)
	if res.err != nil {
		t.Fatal(res.err)
	}
	app, _ := r.gh.CreatedApp()
	wantInstall := r.gh.WebURL() + "github-apps/" + app.Slug + "/installations/new"
	if res.res.AppID != 4242 || res.res.Slug != "switchboard" || res.res.InstallURL != wantInstall {
		t.Errorf("result = %+v", res.res)
	}
	if h := hrefRE.FindStringSubmatch(page); h == nil || html.UnescapeString(h[1]) != wantInstall {
		t.Errorf("the last page does not link to %s:\n%s", wantInstall, page)
	}
	envPath := filepath.Join(r.out, setup.EnvFileName)
	pemPath := filepath.Join(r.out, setup.PEMFileName)
	cfgPath := filepath.Join(r.out, "switchboard.yml")
	wantCmd := "switchboard serve -c " + cfgPath + " --env-file " + envPath
	if !strings.Contains(page, "<pre>"+wantCmd+"</pre>") {
		t.Errorf("the last page does not show %q:\n%s", wantCmd, page)
	}
	wantOut := "switchboard setup: open " + r.base + "/ in a browser signed in to " + strings.TrimPrefix(strings.TrimSuffix(r.gh.WebURL(), "/"), "http://") + " and press the button.\n" +
		"Registered the GitHub App switchboard (ID 4242); its credentials are in " + envPath + " and " + pemPath + " (mode 0600).\n" +
		"Wrote the example configuration to " + cfgPath + ": it reads the App's credentials from the env file.\n" +
		"Next, install it: " + wantInstall + "\n" +
		"Then run: " + wantCmd + "\n"
	if got := r.stdout.String(); got != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, wantOut)
	}

	for _, p := range []string{envPath, pemPath} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	if b, _ := os.ReadFile(pemPath); !bytes.Equal(b, r.key.PEM) {
		t.Error("github-app.pem is not the key GitHub handed out")
	}
	vars, err := envfile.Read(envPath)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"GITHUB_APP_ID": "4242", "GITHUB_APP_SLUG": "switchboard", "GITHUB_WEBHOOK_SECRET": app.WebhookSecret,
		"GITHUB_PRIVATE_KEY_FILE": pemPath, "GITHUB_CLIENT_ID": app.ClientID, "GITHUB_CLIENT_SECRET": app.ClientSecret,
		"GITHUB_API_URL": r.gh.URL(),
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q", k, vars[k], v)
		}
	}
	if len(vars) != len(want) {
		t.Errorf("env file has %d variables, want %d", len(vars), len(want))
	}
	if n := len(r.gh.ManifestConversions()); n != 1 {
		t.Errorf("%d conversions, want 1", n)
	}
	r.assertNoSecrets(t, back.Query().Get("code"))

	// The setup server is gone.
	if _, err := http.Get(r.base + "/"); err == nil {
		t.Error("the setup server still answers after setup")
	}

	if b, _ := os.ReadFile(cfgPath); !bytes.Equal(b, switchboard.ExampleConfig()) {
		t.Error("the example configuration was not written")
	}
	serveWithCredentials(t, r.gh, cfgPath, vars, app.WebhookSecret)
}

// serveWithCredentials loads the example configuration with the env file's
// variables, starts the real server with it, and sees the credentials work:
// a delivery signed with the webhook secret is queued, and the key signs a
// JWT the fake GitHub accepts.
func serveWithCredentials(t *testing.T, gh *fakegithub.Server, written string, vars map[string]string, webhookSecret string) {
	t.Helper()
	example, err := os.ReadFile(written)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgText := strings.Replace(string(example), `addr: ":3000"`, `addr: "127.0.0.1:0"`, 1)
	cfgText = strings.Replace(cfgText, "dsn: switchboard.db", "dsn: "+filepath.Join(dir, "switchboard.db"), 1)
	cfgPath := filepath.Join(dir, "switchboard.yml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) (string, bool) { return "", false }
	lookup := envfile.Lookup(noEnv, vars)
	cfg, err := config.Load(cfgPath, lookup)
	if err != nil {
		t.Fatalf("the example config does not load with the env file: %v", err)
	}
	if cfg.GitHub.AppID != 4242 || cfg.GitHub.PrivateKeyFile != vars["GITHUB_PRIVATE_KEY_FILE"] || cfg.GitHub.APIURL != gh.URL() {
		t.Fatalf("github config = app_id %d, key %q, api %q", cfg.GitHub.AppID, cfg.GitHub.PrivateKeyFile, cfg.GitHub.APIURL)
	}

	logs := &syncBuffer{}
	logger := logrus.New()
	logger.SetOutput(logs)
	logger.SetFormatter(&logrus.JSONFormatter{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{ConfigPath: cfgPath, LookupEnv: lookup, Logger: logrus.NewEntry(logger),
			NoWatch: true, OnListen: func(a net.Addr) { listening <- a }})
	}()
	var addr net.Addr
	select {
	case addr = <-listening:
	case err := <-done:
		t.Fatalf("serve did not start: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	if strings.Contains(logs.String(), "no GitHub App credentials") {
		t.Errorf("serve did not take the App credentials:\n%s", logs.String())
	}
	body := []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`)
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(body)
	req, _ := http.NewRequest("POST", "http://"+addr.String()+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "ping")
	req.Header.Set("X-GitHub-Delivery", "setup-test-1")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("a ping signed with the written webhook secret: %d", resp.StatusCode)
	}

	// serve has no setup page.
	for _, path := range []string{"/", "/callback?code=abc&state=def"} {
		resp, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("serve answers GET %s with %d", path, resp.StatusCode)
		}
	}

	key, err := os.ReadFile(vars["GITHUB_PRIVATE_KEY_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	c, err := githubapp.New(githubapp.Options{AppID: cfg.GitHub.AppID, PrivateKey: key, BaseURL: cfg.GitHub.APIURL,
		Logger: logrus.NewEntry(logger)})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := c.App().Apps.Get(ctx, "")
	if err != nil || got.GetID() != 4242 {
		t.Errorf("GET /app with the written key: %v, %v", got, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	if strings.Contains(logs.String(), webhookSecret) {
		t.Error("serve logged the webhook secret")
	}
}

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
