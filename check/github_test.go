package check

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/internal/fakegithub"
)

func TestGitHubApp(t *testing.T) {
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := fakegithub.New(fakegithub.Options{AppID: 4242, PublicKey: key.PublicKey()})
	defer gh.Close()
	dir := t.TempDir()
	keyFile, otherFile := filepath.Join(dir, "app.pem"), filepath.Join(dir, "other.pem")
	writeFile(t, keyFile, key.PEM)
	writeFile(t, otherFile, other.PEM)
	app := func(id, file string) string {
		return "  app_id: " + id + "\n  private_key_file: " + file + "\n  api_url: " + gh.URL() + "\n"
	}
	commentRule := "rules:\n  - name: pr-comment\n    on: [pull_request.opened]\n    do:\n      - comment: hi\n      - label: {add: [x]}\n"

	tests := map[string]struct {
		yaml          string
		installations int
		want          string
	}{
		"ok": {app("4242", keyFile), 3,
			"github app: OK switchboard (ID 4242), 3 installations"},
		"one installation": {app("4242", keyFile), 1,
			"github app: OK switchboard (ID 4242), 1 installation"},
		"installed nowhere": {app("4242", keyFile), 0,
			"github app: FAIL switchboard (ID 4242) has no installation: nothing sends it events; install it from " + strings.TrimSuffix(gh.URL(), "/") + "/apps/switchboard/installations/new"},
		"another key": {app("4242", otherFile), 3,
			"github app: FAIL GET /app: HTTP 401 (A JSON web token could not be decoded): GitHub refused the App's JWT; github.app_id (4242) or the private key is wrong, or the App was deleted"},
		"another app id": {app("99", keyFile), 3,
			"github app: FAIL GET /app: HTTP 401 (A JSON web token could not be decoded): GitHub refused the App's JWT; github.app_id (99) or the private key is wrong, or the App was deleted"},
		"key file missing": {app("4242", filepath.Join(dir, "missing.pem")), 3,
			"github app: FAIL github.private_key_file: open " + filepath.Join(dir, "missing.pem") + ": no such file or directory"},
		"unreachable": {"  app_id: 4242\n  private_key_file: " + keyFile + "\n  api_url: http://127.0.0.1:1/\n", 3,
			"github app: FAIL GET /app at http://127.0.0.1:1/: dial tcp 127.0.0.1:1: connect: connection refused"},
		"not configured, not needed": {"", 0,
			"github app: SKIP not configured (github.app_id and a private key); no rule needs it"},
		"not configured, needed": {commentRule, 0,
			"github app: FAIL not configured (github.app_id and a private key), but rule pr-comment (comment, label) needs it"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			gh.SetInstallationCount(tc.installations)
			// Lines starting with two spaces land under github:.
			cfg := load(t, tc.yaml, nil)
			got := line(t, cfg, "github app")
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if strings.Contains(got, strings.Split(string(key.PEM), "\n")[1]) {
				t.Error("the key shows")
			}
		})
	}
}
