package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
}
