package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, u, contentType, body string, header http.Header) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestPostMessageAnswers(t *testing.T) {
	s := New(Options{Token: "xoxb-1", Channels: []string{"#ci", "#old"}, Archived: []string{"#old"}})
	defer s.Close()
	bearer := http.Header{"Authorization": {"Bearer xoxb-1"}}
	form := func(v url.Values) string { return v.Encode() }
	tests := map[string]struct {
		contentType, body string
		header            http.Header
		wantErr           string
	}{
		"form with bearer":      {"application/x-www-form-urlencoded", form(url.Values{"channel": {"#ci"}, "text": {"hi"}}), bearer, ""},
		"form with token field": {"application/x-www-form-urlencoded", form(url.Values{"token": {"xoxb-1"}, "channel": {"#ci"}, "text": {"hi"}}), nil, ""},
		"json with bearer":      {"application/json", `{"channel":"#ci","blocks":[{"type":"divider"}]}`, bearer, ""},
		"no token":              {"application/x-www-form-urlencoded", form(url.Values{"channel": {"#ci"}, "text": {"hi"}}), nil, "not_authed"},
		"wrong token":           {"application/x-www-form-urlencoded", form(url.Values{"channel": {"#ci"}, "text": {"hi"}}), http.Header{"Authorization": {"Bearer xoxb-2"}}, "invalid_auth"},
		"unknown channel":       {"application/x-www-form-urlencoded", form(url.Values{"channel": {"#x"}, "text": {"hi"}}), bearer, "channel_not_found"},
		"archived":              {"application/x-www-form-urlencoded", form(url.Values{"channel": {"#old"}, "text": {"hi"}}), bearer, "is_archived"},
		"no text":               {"application/x-www-form-urlencoded", form(url.Values{"channel": {"#ci"}}), bearer, "no_text"},
		"bad blocks":            {"application/x-www-form-urlencoded", form(url.Values{"channel": {"#ci"}, "blocks": {`[{"text":"x"}]`}}), bearer, "invalid_blocks"},
		"section too long":      {"application/x-www-form-urlencoded", form(url.Values{"channel": {"#ci"}, "blocks": {`[{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("x", MaxSectionText+1) + `"}}]`}}), bearer, "invalid_blocks"},
		"too long":              {"application/x-www-form-urlencoded", form(url.Values{"channel": {"#ci"}, "text": {strings.Repeat("x", MaxText+1)}}), bearer, "msg_too_long"},
	}
	accepted := 0
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			status, _, body := post(t, s.APIURL()+"chat.postMessage", tc.contentType, tc.body, tc.header)
			var got struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
				TS    string `json:"ts"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil || status != http.StatusOK {
				t.Fatalf("%d %q", status, body)
			}
			if got.OK != (tc.wantErr == "") || got.Error != tc.wantErr {
				t.Fatalf("answer %+v, want error %q", got, tc.wantErr)
			}
			if got.OK {
				accepted++
				if got.TS == "" {
					t.Error("no ts")
				}
			}
		})
	}
	if n := len(s.Messages()); n != accepted || n != 3 {
		t.Fatalf("%d messages recorded, want %d", n, accepted)
	}
}

func TestRateLimitAndFailures(t *testing.T) {
	s := New(Options{Token: "t"})
	defer s.Close()
	s.RateLimit(2, 4)
	s.FailNext("fatal_error")
	bearer := http.Header{"Authorization": {"Bearer t"}}
	body := url.Values{"channel": {"#a"}, "text": {"hi"}}.Encode()
	for i := 0; i < 2; i++ {
		status, h, b := post(t, s.APIURL()+"chat.postMessage", "application/x-www-form-urlencoded", body, bearer)
		if status != http.StatusTooManyRequests || h.Get("Retry-After") != "4" || !strings.Contains(b, "ratelimited") {
			t.Fatalf("request %d: %d Retry-After %q %s", i, status, h.Get("Retry-After"), b)
		}
	}
	if _, _, b := post(t, s.APIURL()+"chat.postMessage", "application/x-www-form-urlencoded", body, bearer); !strings.Contains(b, `"fatal_error"`) {
		t.Fatalf("third request: %s, want fatal_error", b)
	}
	if _, _, b := post(t, s.APIURL()+"chat.postMessage", "application/x-www-form-urlencoded", body, bearer); !strings.Contains(b, `"ok":true`) {
		t.Fatalf("fourth request: %s, want ok", b)
	}
	if reqs := s.Requests(); len(reqs) != 4 || reqs[0].Status != 429 || reqs[3].Error != "" {
		t.Fatalf("requests = %+v", reqs)
	}
}

func TestWebhookAnswers(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	tests := map[string]struct {
		url, body string
		fail      string
		status    int
		answer    string
	}{
		"ok":            {s.WebhookURL(), `{"text":"hi"}`, "", 200, "ok"},
		"not JSON":      {s.WebhookURL(), `{`, "", 400, "invalid_payload"},
		"no text":       {s.WebhookURL(), `{}`, "", 400, "no_text"},
		"unknown hook":  {s.WebhookURL() + "x", `{"text":"hi"}`, "", 404, "no_service"},
		"prohibited":    {s.WebhookURL(), `{"text":"hi"}`, "action_prohibited", 403, "action_prohibited"},
		"archived":      {s.WebhookURL(), `{"text":"hi"}`, "channel_is_archived", 410, "channel_is_archived"},
		"channel gone":  {s.WebhookURL(), `{"text":"hi"}`, "channel_not_found", 404, "channel_not_found"},
		"server broken": {s.WebhookURL(), `{"text":"hi"}`, "rollup_error", 500, "rollup_error"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.fail != "" {
				s.FailNext(tc.fail)
			}
			status, _, b := post(t, tc.url, "application/json", tc.body, nil)
			if status != tc.status || b != tc.answer {
				t.Fatalf("%d %q, want %d %q", status, b, tc.status, tc.answer)
			}
		})
	}
	if msgs := s.Messages(); len(msgs) != 1 || msgs[0].Via != "webhook" || msgs[0].Text != "hi" {
		t.Fatalf("messages = %+v", msgs)
	}
}

func TestWait(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- s.Wait(ctx, func() bool { return len(s.Messages()) >= 1 })
	}()
	if status, _, b := post(t, s.WebhookURL(), "application/json", `{"text":"hi"}`, nil); status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	if err := <-done; err != nil {
		t.Fatalf("Wait: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Wait(ctx, func() bool { return false }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context = %v", err)
	}
}
