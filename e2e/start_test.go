package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/logfield"
)

// Without GitHub App credentials serve still starts, and says at start
// which actions cannot run and why.
func TestServeSaysWhichActionsAreUnavailable(t *testing.T) {
	srv := startServer(t, minimalConfig, nil)
	var kinds []string
	var general bool
	for _, e := range srv.Logs.AllEntries() {
		if e.Level != logrus.WarnLevel {
			continue
		}
		if strings.HasPrefix(e.Message, "action unavailable: no GitHub App credentials") {
			kinds = append(kinds, e.Data[logfield.Kind].(string))
		}
		general = general || strings.Contains(e.Message, "GitHub actions and pull request paths are unavailable")
	}
	slices.Sort(kinds)
	if want := []string{"comment", "jenkins report", "label", "status"}; !slices.Equal(kinds, want) {
		t.Errorf("unavailable kinds logged at start = %q, want %q", kinds, want)
	}
	if !general {
		t.Error("no warning that GitHub App credentials are missing")
	}
}

const minimalConfig = `
server: {addr: "127.0.0.1:0"}
github: {webhook_secret: "${GITHUB_WEBHOOK_SECRET}"}
store: {dsn: $TMP/switchboard.db}
rules:
  - name: log-pushes
    on: [push]
    do:
      - log: {message: "push {{ .Delivery }}"}
`
