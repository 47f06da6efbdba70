package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/adminclient"
)

// TestAPICommandUsageErrors: each is refused before any request (the URL
// points nowhere that answers).
func TestAPICommandUsageErrors(t *testing.T) {
	flags := []string{"--url", "http://127.0.0.1:1", "--token", "t"}
	tests := map[string]struct {
		args []string
		code int
		want string
	}{
		"deliveries alone":   {[]string{"deliveries"}, 2, "usage:\n  switchboard deliveries list"},
		"unknown subcommand": {[]string{"deliveries", "frob"}, 2, `switchboard deliveries: unknown subcommand "frob"`},
		"actions alone":      {[]string{"actions"}, 2, "switchboard actions: want a subcommand: retry ID"},
		"show without ID":    {append([]string{"deliveries", "show"}, flags...), 2, "switchboard deliveries show: want 1 ID, got 0 arguments\n"},
		"show two IDs":       {append([]string{"deliveries", "show", "a", "b"}, flags...), 2, "switchboard deliveries show: want 1 ID, got 2 arguments\n"},
		"retry without ID":   {append([]string{"actions", "retry"}, flags...), 2, "switchboard actions retry: want 1 ID, got 0 arguments\n"},
		"list with an ID":    {append([]string{"deliveries", "list", "x"}, flags...), 2, "switchboard deliveries list: unexpected argument \"x\"\n"},
		"bad -o":             {append([]string{"deliveries", "list", "-o", "yaml"}, flags...), 2, "switchboard deliveries list: -o \"yaml\": want table or json\n"},
		"bad --limit":        {append([]string{"deliveries", "list", "--limit", "many"}, flags...), 2, `invalid value "many" for flag -limit`},
		"no token anywhere": {[]string{"deliveries", "list", "--url", "http://127.0.0.1:1", "-c", "/nonexistent/switchboard.yml"}, 1,
			"switchboard deliveries list: reading the config for the admin token (give --url and --token to do without the config):\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(t, nil, "", tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout, stderr, tt.code, tt.want)
			}
		})
	}
}

func TestURLOf(t *testing.T) {
	for addr, want := range map[string]string{
		":3000":          "http://127.0.0.1:3000",
		"0.0.0.0:3000":   "http://127.0.0.1:3000",
		"[::]:3000":      "http://127.0.0.1:3000",
		"10.1.2.3:8080":  "http://10.1.2.3:8080",
		"localhost:3000": "http://localhost:3000",
		"[::1]:3000":     "http://[::1]:3000",
	} {
		if got := urlOf(addr); got != want {
			t.Errorf("%s: %s, want %s", addr, got, want)
		}
	}
}

// TestTablesCleanServerText: repository names, senders and errors come from
// GitHub users; a terminal escape or a newline in them must not reach the
// screen as such, nor break the columns.
func TestTablesCleanServerText(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	page := &adminclient.Page{Deliveries: []adminclient.Summary{
		{ID: "d1", Event: "push", Repo: "acme/\x1b[2Jwidgets", Sender: "evil\nuser\ttab", ReceivedAt: now.Add(-90 * time.Second), Status: "failed", RulesMatched: 1, Actions: adminclient.ActionCounts{Failed: 1, Succeeded: 2}},
		{ID: "d2", Event: "pull_request", Action: "opened", Repo: "acme/w", Sender: "octocat", ReceivedAt: now.Add(-3 * time.Hour), Status: "succeeded", ReplayOf: "d0"},
	}}
	var b bytes.Buffer
	writeList(&b, page, now)
	want := "" +
		"RECEIVED  STATUS     EVENT                REPO              SENDER         RULES  ACTIONS                ID\n" +
		"1m ago    failed     push                 acme/ [2Jwidgets  evil user tab  1      1 failed, 2 succeeded  d1\n" +
		"3h ago    succeeded  pull_request.opened  acme/w            octocat        0      none                   d2 (replay of d0)\n"
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	if strings.ContainsAny(b.String(), "\x1b\t") {
		t.Fatal("a control character reached the table")
	}
}
