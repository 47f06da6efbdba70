package check

import (
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/internal/fakeslack"
)

const slackRules = `rules:
  - name: notify
    on: [push]
    do:
      - slack: {channel: "#ci", text: hi}
      - slack: {channel: "#deploys", text: hi}
      - slack: {channel: C0123456, text: hi}
      - slack: {channel: "#{{ .Repository.Name }}", text: "templated, not checked"}
`

func TestSlackToken(t *testing.T) {
	const token = "xoxb-secret-token"
	tests := map[string]struct {
		channels, members, scopes, archived []string
		token, rules                        string
		want                                string
	}{
		"member, or public with chat:write.public": {
			channels: []string{"#ci", "#deploys", "C0123456"}, members: []string{"#ci", "C0123456"},
			scopes: []string{"chat:write", "chat:write.public", "channels:read"}, rules: slackRules,
			want: "slack main: OK authenticated as switchboard in Fake; can post to #ci (member), #deploys (not a member; chat:write.public), C0123456 (member)",
		},
		"not a member": {
			channels: []string{"#ci", "#deploys", "C0123456"}, members: []string{"#ci", "C0123456"},
			scopes: []string{"chat:write", "channels:read"}, rules: slackRules,
			want: "slack main: FAIL #deploys: the bot is not a member: invite it (/invite @switchboard), or give the token chat:write.public",
		},
		"missing and archived": {
			channels: []string{"#ci", "#deploys"}, members: []string{"#ci", "#deploys"}, archived: []string{"#deploys"},
			scopes: []string{"chat:write", "channels:read"}, rules: slackRules,
			want: "slack main: FAIL #deploys: is archived; C0123456: channel_not_found (or private, without the bot in it)",
		},
		"no channels:read": {
			channels: []string{"#ci"}, scopes: []string{"chat:write"}, rules: slackRules,
			want: "slack main: OK authenticated as switchboard in Fake; channel membership not checked: the token lacks channels:read",
		},
		"no channels named": {
			want: "slack main: OK authenticated as switchboard in Fake",
		},
		"invalid token": {
			token: "xoxb-wrong", rules: slackRules,
			want: "slack main: FAIL auth.test: invalid_auth: slack.main.token is not a valid token",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := fakeslack.New(fakeslack.Options{Token: token, Channels: tc.channels, Archived: tc.archived})
			defer s.Close()
			s.SetMembers(tc.members...)
			if tc.scopes != nil {
				s.SetScopes(tc.scopes...)
			}
			tok := tc.token
			if tok == "" {
				tok = token
			}
			got := line(t, load(t, "slack:\n  main:\n    token: "+tok+"\n    api_url: "+s.APIURL()+"\n"+tc.rules, nil), "slack main")
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if strings.Contains(got, "xoxb") {
				t.Errorf("the token shows: %s", got)
			}
			if n := len(s.Messages()); n != 0 {
				t.Errorf("check posted %d messages", n)
			}
		})
	}
}

func TestSlackChannelListIsPaged(t *testing.T) {
	var channels []string
	for i := range 450 {
		channels = append(channels, fmt.Sprintf("#c%03d", i))
	}
	s := fakeslack.New(fakeslack.Options{Token: "xoxb-1", Channels: channels})
	defer s.Close()
	s.SetMembers("#c449")
	rules := "rules:\n  - name: n\n    on: [push]\n    do:\n      - slack: {channel: \"#c449\", text: hi}\n"
	got := line(t, load(t, "slack:\n  main:\n    token: xoxb-1\n    api_url: "+s.APIURL()+"\n"+rules, nil), "slack main")
	if want := "slack main: OK authenticated as switchboard in Fake; can post to #c449 (member)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// auth.test, then three pages of 200.
	if n := len(s.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

func TestSlackWebhook(t *testing.T) {
	s := fakeslack.New(fakeslack.Options{})
	defer s.Close()
	wrong := s.APIURL() + "../services/T0/B0/wrong-secret-path"
	tests := map[string]struct{ url, want string }{
		"live": {s.WebhookURL(),
			"slack hook: OK incoming webhook is live (an empty message answered no_text; nothing was posted)"},
		"revoked": {strings.Replace(wrong, "/api/../", "/", 1),
			"slack hook: FAIL incoming webhook: HTTP 404 no_service: Slack will not post through it"},
		"unreachable": {"http://127.0.0.1:1/services/T0/B0/secret-path",
			"slack hook: FAIL incoming webhook: dial tcp 127.0.0.1:1: connect: connection refused"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := line(t, load(t, "slack:\n  hook:\n    webhook_url: "+tc.url+"\n", nil), "slack hook")
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if strings.Contains(got, "services/") || strings.Contains(got, "secret-path") {
				t.Errorf("the webhook URL shows: %s", got)
			}
		})
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("check posted %d messages", n)
	}
}
