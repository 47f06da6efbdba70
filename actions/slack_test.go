package actions

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack/slacktest"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/internal/fakeslack"
)

const slackToken = "xoxb-1111-2222-secretsecretsecret"

func slackTokenConfig(apiURL string) *config.Config {
	return &config.Config{Slack: map[string]*config.SlackConnection{
		"main": {Token: slackToken, APIURL: apiURL},
	}}
}

func slackWebhookConfig(webhook string) *config.Config {
	return &config.Config{Slack: map[string]*config.SlackConnection{
		"hook": {WebhookURL: config.Secret(webhook)},
	}}
}

func slackJob(conn, channel, text, blocks string) *Job {
	return &Job{Delivery: "d-1", Event: "push", Rule: "notify", Kind: "slack",
		Slack: &SlackJob{Connection: conn, Channel: channel, Text: text, Blocks: blocks}}
}

func TestSlackPostMessageWithSlacktest(t *testing.T) {
	ts := slacktest.NewTestServer()
	ts.Start()
	defer ts.Stop()
	s, _ := testSet(t, slackTokenConfig(ts.GetAPIURL()), Deps{})

	res, err := run(t, s, context.Background(), slackJob("main", "C0123", "hello &lt;team&gt;", ""))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	channel, stamp, ok := strings.Cut(res.Detail, "/")
	if !ok || channel != "C0123" || stamp == "" {
		t.Fatalf("Detail = %q, want C0123/<ts>", res.Detail)
	}
}

func TestSlackPostMessage(t *testing.T) {
	fs := fakeslack.New(fakeslack.Options{Token: slackToken, Channels: []string{"#ci"}})
	defer fs.Close()
	s, _ := testSet(t, slackTokenConfig(fs.APIURL()), Deps{})

	blocks := `[{"type":"section","text":{"type":"mrkdwn","text":"*build* queued"}}]`
	if _, err := run(t, s, context.Background(), slackJob("main", "#ci", "alice pushed 0123abc", blocks)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Block Kit Builder's export, an object with a "blocks" list, works too.
	if _, err := run(t, s, context.Background(), slackJob("", "#ci", "", `{"blocks":`+blocks+`}`)); err != nil {
		t.Fatalf("Run with wrapped blocks: %v", err)
	}
	msgs := fs.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if msgs[0].Channel != "#ci" || msgs[0].Text != "alice pushed 0123abc" {
		t.Errorf("message = %+v", msgs[0])
	}
	for i, m := range msgs {
		var got []map[string]any
		if err := json.Unmarshal(m.Blocks, &got); err != nil || len(got) != 1 || got[0]["type"] != "section" {
			t.Errorf("message %d blocks = %s (%v), want the one section", i, m.Blocks, err)
		}
	}
}

func TestSlackErrors(t *testing.T) {
	tests := map[string]struct {
		code string
		want Outcome
	}{
		"channel_not_found": {"channel_not_found", PermanentFailure},
		"not_in_channel":    {"not_in_channel", PermanentFailure},
		"invalid_auth":      {"invalid_auth", PermanentFailure},
		"invalid_blocks":    {"invalid_blocks", PermanentFailure},
		"is_archived":       {"is_archived", PermanentFailure},
		"msg_too_long":      {"msg_too_long", PermanentFailure},
		"no_text":           {"no_text", PermanentFailure},
		"internal_error":    {"internal_error", Retry},
		"ratelimited":       {"ratelimited", Retry},
	}
	fs := fakeslack.New(fakeslack.Options{Token: slackToken})
	defer fs.Close()
	s, _ := testSet(t, slackTokenConfig(fs.APIURL()), Deps{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fs.FailNext(tc.code)
			_, err := run(t, s, context.Background(), slackJob("main", "#ci", "hi", ""))
			v := wantOutcome(t, err, tc.want)
			if v.Reason != "slack: "+tc.code {
				t.Errorf("reason %q, want the Slack code", v.Reason)
			}
		})
	}
	if n := len(fs.Messages()); n != 0 {
		t.Fatalf("%d messages accepted, want none", n)
	}
}

func TestSlackUnknownChannelAndWrongToken(t *testing.T) {
	fs := fakeslack.New(fakeslack.Options{Token: slackToken, Channels: []string{"#ci"}})
	defer fs.Close()

	s, _ := testSet(t, slackTokenConfig(fs.APIURL()), Deps{})
	_, err := run(t, s, context.Background(), slackJob("main", "#nope", "hi", ""))
	if v := wantOutcome(t, err, PermanentFailure); v.Reason != "slack: channel_not_found" {
		t.Errorf("reason %q", v.Reason)
	}

	cfg := slackTokenConfig(fs.APIURL())
	cfg.Slack["main"].Token = "xoxb-wrong-token-value"
	s, _ = testSet(t, cfg, Deps{})
	_, err = run(t, s, context.Background(), slackJob("main", "#ci", "hi", ""))
	if v := wantOutcome(t, err, PermanentFailure); v.Reason != "slack: invalid_auth" {
		t.Errorf("reason %q", v.Reason)
	}
	wantNoSecret(t, "error", err.Error(), slackToken, "xoxb-wrong-token-value")
}

func TestSlackRateLimitHonoursRetryAfter(t *testing.T) {
	fs := fakeslack.New(fakeslack.Options{Token: slackToken})
	defer fs.Close()
	s, _ := testSet(t, slackTokenConfig(fs.APIURL()), Deps{})

	fs.RateLimit(1, 17)
	_, err := run(t, s, context.Background(), slackJob("main", "#ci", "hi", ""))
	v := wantOutcome(t, err, Retry)
	if v.After != 17*time.Second {
		t.Fatalf("After = %v, want the Retry-After of 17s", v.After)
	}
	if _, err := run(t, s, context.Background(), slackJob("main", "#ci", "hi", "")); err != nil {
		t.Fatalf("after the limit: %v", err)
	}
	reqs := fs.Requests()
	if len(reqs) != 2 || reqs[0].Status != http.StatusTooManyRequests || reqs[1].Status != http.StatusOK {
		t.Fatalf("requests = %+v, want one 429 then one 200", reqs)
	}
}

func TestSlackRefusesBadMessagesWithoutARequest(t *testing.T) {
	tests := map[string]struct{ channel, text, blocks string }{
		"blocks not JSON":         {"#ci", "hi", `[{"type":`},
		"blocks not a list":       {"#ci", "hi", `"section"`},
		"object without blocks":   {"#ci", "hi", `{"type":"section"}`},
		"unknown block type":      {"#ci", "hi", `[{"type":"sektion","text":{"type":"mrkdwn","text":"hi"}}]`},
		"section without text":    {"#ci", "hi", `[{"type":"section"}]`},
		"header too long":         {"#ci", "hi", `[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("h", 151) + `"}}]`},
		"neither text nor blocks": {"#ci", "  ", ""},
		"no channel":              {"", "hi", ""},
	}
	fs := fakeslack.New(fakeslack.Options{Token: slackToken})
	defer fs.Close()
	s, _ := testSet(t, slackTokenConfig(fs.APIURL()), Deps{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, s, context.Background(), slackJob("main", tc.channel, tc.text, tc.blocks))
			wantOutcome(t, err, PermanentFailure)
		})
	}
	if n := len(fs.Requests()); n != 0 {
		t.Fatalf("Slack saw %d requests, want none", n)
	}
}

func TestSlackTextIsCapped(t *testing.T) {
	fs := fakeslack.New(fakeslack.Options{Token: slackToken})
	defer fs.Close()
	s, _ := testSet(t, slackTokenConfig(fs.APIURL()), Deps{})

	long := strings.Repeat("é", MaxSlackText+500)
	if _, err := run(t, s, context.Background(), slackJob("main", "#ci", long, "")); err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := fs.Messages()[0].Text
	if n := utf8.RuneCountInString(got); n != MaxSlackText || !strings.HasSuffix(got, "…") {
		t.Fatalf("text has %d characters (ends %q), want %d ending in an ellipsis", n, got[len(got)-3:], MaxSlackText)
	}
}

func TestCapText(t *testing.T) {
	pad := strings.Repeat("a", MaxSlackText-3)
	tests := map[string]struct{ in, want string }{
		"short text unchanged":    {"hi &amp; bye", "hi &amp; bye"},
		"exactly the limit":       {strings.Repeat("b", MaxSlackText), strings.Repeat("b", MaxSlackText)},
		"cut keeps whole escapes": {pad + "&amp;xyz", pad + "…"},
		"cut after an escape":     {pad[:len(pad)-5] + "&amp;xyzzy", pad[:len(pad)-5] + "&amp;xy…"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := capText(tc.in, MaxSlackText); got != tc.want {
				t.Fatalf("capText: got …%q, want …%q", tail(got), tail(tc.want))
			}
		})
	}
}

func TestSlackSectionTextIsCapped(t *testing.T) {
	fs := fakeslack.New(fakeslack.Options{Token: slackToken})
	defer fs.Close()
	long := strings.Repeat("x", MaxSectionText+10)
	blocks := `[{"type":"section","text":{"type":"mrkdwn","text":"` + long + `"}},{"type":"divider"}]`
	for name, cfg := range map[string]*config.Config{
		"chat.postMessage": slackTokenConfig(fs.APIURL()),
		"webhook":          slackWebhookConfig(fs.WebhookURL()),
	} {
		t.Run(name, func(t *testing.T) {
			s, _ := testSet(t, cfg, Deps{})
			if _, err := run(t, s, context.Background(), slackJob("", "#ci", "fallback", blocks)); err != nil {
				t.Fatalf("Run: %v", err)
			}
			msgs := fs.Messages()
			var got []struct {
				Type string `json:"type"`
				Text *struct {
					Text string `json:"text"`
				} `json:"text"`
			}
			if err := json.Unmarshal(msgs[len(msgs)-1].Blocks, &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[1].Type != "divider" || utf8.RuneCountInString(got[0].Text.Text) != MaxSectionText {
				t.Fatalf("blocks = %s, want the section cut to %d characters and the divider kept", msgs[len(msgs)-1].Blocks, MaxSectionText)
			}
		})
	}
}

func tail(s string) string {
	if len(s) > 12 {
		return s[len(s)-12:]
	}
	return s
}

func TestSlackWebhook(t *testing.T) {
	fs := fakeslack.New(fakeslack.Options{})
	defer fs.Close()
	s, _ := testSet(t, slackWebhookConfig(fs.WebhookURL()), Deps{})

	blocks := `[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]`
	if _, err := run(t, s, context.Background(), slackJob("hook", "", "deployed", blocks)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	msgs := fs.Messages()
	if len(msgs) != 1 || msgs[0].Via != "webhook" || msgs[0].Text != "deployed" || len(msgs[0].Blocks) == 0 {
		t.Fatalf("messages = %+v", msgs)
	}
}

func TestSlackWebhookAnswers(t *testing.T) {
	tests := map[string]struct {
		code   string
		status int
		want   Outcome
	}{
		"invalid_payload":     {"invalid_payload", 400, PermanentFailure},
		"no_text":             {"no_text", 400, PermanentFailure},
		"action_prohibited":   {"action_prohibited", 403, PermanentFailure},
		"channel_not_found":   {"channel_not_found", 404, PermanentFailure},
		"channel_is_archived": {"channel_is_archived", 410, PermanentFailure},
		"rollup_error":        {"rollup_error", 500, Retry},
	}
	fs := fakeslack.New(fakeslack.Options{})
	defer fs.Close()
	s, _ := testSet(t, slackWebhookConfig(fs.WebhookURL()), Deps{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fs.FailNext(tc.code)
			_, err := run(t, s, context.Background(), slackJob("hook", "", "hi", ""))
			wantOutcome(t, err, tc.want)
			var herr *HTTPError
			if !errors.As(err, &herr) || herr.Status != tc.status || herr.Body != tc.code {
				t.Fatalf("error %v, want HTTP %d %s", err, tc.status, tc.code)
			}
			wantNoSecret(t, "error", err.Error(), fs.WebhookURL())
		})
	}

	t.Run("429 with Retry-After", func(t *testing.T) {
		fs.RateLimit(1, 9)
		_, err := run(t, s, context.Background(), slackJob("hook", "", "hi", ""))
		if v := wantOutcome(t, err, Retry); v.After != 9*time.Second {
			t.Fatalf("After = %v, want 9s", v.After)
		}
	})
	t.Run("unknown webhook", func(t *testing.T) {
		s, _ := testSet(t, slackWebhookConfig(fs.WebhookURL()+"x"), Deps{})
		_, err := run(t, s, context.Background(), slackJob("hook", "", "hi", ""))
		wantOutcome(t, err, PermanentFailure)
		wantNoSecret(t, "error", err.Error(), fs.WebhookURL())
	})
}

func TestSlackWebhookUnexpectedAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("maybe"))
	}))
	defer srv.Close()
	s, _ := testSet(t, slackWebhookConfig(srv.URL+"/services/T/B/secretpart"), Deps{})
	_, err := run(t, s, context.Background(), slackJob("hook", "", "hi", ""))
	wantOutcome(t, err, PermanentFailure)
}
