package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/internal/fakejenkins"
	"github.com/switchboard-dev/switchboard/internal/fakeslack"
)

func TestCheckCommand(t *testing.T) {
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	gh := fakegithub.New(fakegithub.Options{AppID: 7, PublicKey: key.PublicKey()})
	defer gh.Close()
	gh.SetInstallationCount(2)
	jk := fakejenkins.New(fakejenkins.Options{User: "sb", Token: "jenkins-secret", Jobs: map[string]fakejenkins.Job{"deploy": {}}})
	defer jk.Close()
	sl := fakeslack.New(fakeslack.Options{Token: "xoxb-secret", Channels: []string{"#ci"}})
	defer sl.Close()
	sl.SetMembers("#ci")

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(keyFile, key.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "github-app.env")
	if err := os.WriteFile(envFile, []byte("GITHUB_APP_ID=7\nGITHUB_PRIVATE_KEY_FILE="+keyFile+"\nGITHUB_WEBHOOK_SECRET=whsec\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := `github:
  app_id: ${GITHUB_APP_ID}
  private_key_file: ${GITHUB_PRIVATE_KEY_FILE}
  webhook_secret: ${GITHUB_WEBHOOK_SECRET}
  api_url: ` + gh.URL() + `
store:
  dsn: ` + filepath.Join(dir, "sb.db") + `
jenkins:
  main: {url: "` + jk.URL() + `", user: sb, token: "${JENKINS_TOKEN}"}
slack:
  main: {token: "${SLACK_TOKEN}", api_url: "` + sl.APIURL() + `"}
rules:
  - name: ship
    on: [push]
    do:
      - jenkins: {job: deploy}
      - slack: {channel: "#ci", text: shipped}
`
	path := filepath.Join(dir, "switchboard.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"JENKINS_TOKEN": "jenkins-secret", "SLACK_TOKEN": "xoxb-secret"}
	code, stdout, stderr := run(t, env, "", "check", "-c", path, "--env-file", envFile)
	want := "github app: OK switchboard (ID 7), 2 installations\n" +
		"jenkins main: OK authenticated as sb with an API token; no crumb needed; job deploy found\n" +
		"slack main: OK authenticated as switchboard in Fake; can post to #ci (member)\n" +
		"store sqlite: OK opened, migrated, written and read back\n"
	if code != 0 || stdout != want || stderr != "" {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, stdout, want, stderr)
	}

	// One problem: exit 1, the other lines still printed.
	env["SLACK_TOKEN"] = "xoxb-revoked"
	code, stdout, _ = run(t, env, "", "check", "-c", path, "--env-file", envFile)
	want = strings.Replace(want, "slack main: OK authenticated as switchboard in Fake; can post to #ci (member)",
		"slack main: FAIL auth.test: invalid_auth: slack.main.token is not a valid token", 1)
	if code != 1 || stdout != want {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s", code, stdout, want)
	}
	for _, s := range []string{"jenkins-secret", "xoxb-", "whsec"} {
		if strings.Contains(stdout+stderr, s) {
			t.Errorf("%q shows in the output", s)
		}
	}

	// A config that does not load: its problems, exit 1, nothing checked.
	code, stdout, stderr = run(t, nil, "", "check", "-c", path)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "github.app_id: variable ${GITHUB_APP_ID} is not set") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
}
