package cli

import (
	"bufio"
	"bytes"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/internal/fakegithub"
)

func TestSetupFlagsAndRefusals(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "github-app.pem"), []byte("old key"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args   []string
		code   int
		stderr string
	}{
		"no public url": {[]string{"setup", "--out", out}, 1,
			"switchboard setup: --public-url is required: the address GitHub will send webhooks to, such as https://switchboard.example.com\n"},
		"existing credentials": {[]string{"setup", "--public-url", "https://sb.example.com", "--out", out, "--addr", "127.0.0.1:0"}, 1,
			"switchboard setup: " + filepath.Join(out, "github-app.pem") + " already exists: setup will not replace existing credentials; pass --force to replace them, or --out another directory\n"},
		"stray argument": {[]string{"setup", "--public-url", "https://sb.example.com", "now"}, 2,
			"switchboard setup: unexpected argument \"now\"\n"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(t, nil, "", tc.args...)
			if code != tc.code || stderr != tc.stderr || stdout != "" {
				t.Fatalf("exit %d\nstdout %q\nstderr %q\nwant exit %d, stderr %q", code, stdout, stderr, tc.code, tc.stderr)
			}
		})
	}
	if b, _ := os.ReadFile(filepath.Join(out, "github-app.pem")); string(b) != "old key" {
		t.Error("the existing key changed")
	}
}

func TestEnvFileFeedsTheConfig(t *testing.T) {
	dir := t.TempDir()
	envPath := filepath.Join(dir, "github-app.env")
	if err := os.WriteFile(envPath, []byte("# test\nGITHUB_WEBHOOK_SECRET=from-file\nGITHUB_APP_ID=12\nGITHUB_PRIVATE_KEY_FILE=/nonexistent/key.pem\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	example := filepath.Join("..", "examples", "switchboard.yml")
	code, stdout, stderr := run(t, nil, "", "validate", "-c", example, "--env-file", envPath)
	if code != 0 || stdout != example+": ok (4 rules)\n" {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	// Without the file the secret is missing.
	code, _, stderr = run(t, nil, "", "validate", "-c", example)
	if code != 1 || !strings.Contains(stderr, "github.webhook_secret: variable ${GITHUB_WEBHOOK_SECRET} is not set") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	// A malformed file is named by line, its content is not echoed.
	bad := filepath.Join(dir, "bad.env")
	if err := os.WriteFile(bad, []byte("GITHUB_WEBHOOK_SECRET=ok\nhunter2-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, nil, "", "validate", "-c", example, "--env-file", bad)
	if code != 2 || !strings.Contains(stderr, `invalid value "`+bad+`" for flag -env-file: `+bad+`:2: not a NAME=value line`) || strings.Contains(stderr, "hunter2") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	// A file that is not there is a usage error naming it.
	missing := filepath.Join(dir, "missing.env")
	code, stdout, stderr = run(t, nil, "", "validate", "-c", example, "--env-file", missing)
	if code != 2 || stdout != "" || !strings.Contains(stderr, `invalid value "`+missing+`" for flag -env-file: open `+missing+`: no such file or directory`) {
		t.Errorf("missing file: exit %d: %s%s", code, stdout, stderr)
	}
}

// TestSetupCommandEndToEnd runs `switchboard setup` as the binary does,
// against a fake GitHub Enterprise Server, and a browser's two requests.
func TestSetupCommandEndToEnd(t *testing.T) {
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := fakegithub.New(fakegithub.Options{AppID: 31, PublicKey: key.PublicKey(), PathPrefix: "/api/v3"})
	defer gh.Close()
	gh.SetManifestKey(key)
	out := t.TempDir()
	cfgPath := filepath.Join(out, "switchboard.yml")

	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main([]string{"setup", "--addr", "127.0.0.1:0", "--public-url", "https://sb.example.com/",
			"--github-url", gh.WebURL(), "--out", out, "-c", cfgPath},
			Env{Stdout: pw, Stderr: &errb, LookupEnv: func(string) (string, bool) { return "", false }})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatal("setup printed nothing")
	}
	first := lines.Text()
	m := regexp.MustCompile(`^switchboard setup: open (http://127\.0\.0\.1:\d+/) in a browser signed in to 127\.0\.0\.1:\d+ and press the button\.$`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("first line: %q", first)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	action := regexp.MustCompile(`<form action="([^"]+)"`).FindSubmatch(page)
	manifest := regexp.MustCompile(`name="manifest" value="([^"]+)"`).FindSubmatch(page)
	if action == nil || manifest == nil {
		t.Fatalf("page:\n%s", page)
	}
	resp, err = browser.PostForm(html.UnescapeString(string(action[1])), url.Values{"manifest": {html.UnescapeString(string(manifest[1]))}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = browser.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	envPath := filepath.Join(out, "github-app.env")
	want := []string{
		"Registered the GitHub App switchboard (ID 31); its credentials are in " + envPath + " and " + filepath.Join(out, "github-app.pem") + " (mode 0600).",
		"Wrote the example configuration to " + cfgPath + ": it reads the App's credentials from the env file.",
		"Next, install it: " + gh.WebURL() + "github-apps/switchboard/installations/new",
		"Then run: switchboard serve -c " + cfgPath + " --env-file " + envPath,
	}
	if strings.Join(rest, "\n") != strings.Join(want, "\n") {
		t.Errorf("stdout:\n%s\nwant:\n%s", strings.Join(rest, "\n"), strings.Join(want, "\n"))
	}
	if errb.Len() != 0 {
		t.Errorf("stderr: %s", errb.String())
	}
	// The manifest's webhook URL has no double slash from the trailing one.
	if f := gh.ManifestForms(); len(f) != 1 || f[0].Manifest["hook_attributes"].(map[string]any)["url"] != "https://sb.example.com/webhook" {
		t.Errorf("forms: %+v", f)
	}
	// What setup wrote validates as it is, with the env file.
	code, stdout, stderr := run(t, nil, "", "validate", "-c", cfgPath, "--env-file", envPath)
	if code != 0 || stdout != cfgPath+": ok (4 rules)\n" {
		t.Errorf("validate: exit %d %s%s", code, stdout, stderr)
	}
	app, _ := gh.CreatedApp()
	if strings.Contains(strings.Join(rest, "\n")+first+errb.String(), app.WebhookSecret) {
		t.Error("the webhook secret was printed")
	}
}
