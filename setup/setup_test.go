package setup_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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
