package fakeslack

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func call(t *testing.T, s *Server, method, token string, args url.Values) (map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.APIURL()+method, strings.NewReader(args.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out, resp.Header
}

func TestAuthTestAndConversations(t *testing.T) {
	s := New(Options{Token: "xoxb-1", Channels: []string{"#a", "#b", "#c"}, Archived: []string{"#c"}})
	defer s.Close()
	s.SetMembers("#b")

	if out, _ := call(t, s, "auth.test", "", nil); out["ok"] != false || out["error"] != "not_authed" {
		t.Errorf("no token: %v", out)
	}
	if out, _ := call(t, s, "auth.test", "xoxb-2", nil); out["error"] != "invalid_auth" {
		t.Errorf("wrong token: %v", out)
	}
	out, h := call(t, s, "auth.test", "xoxb-1", nil)
	if out["ok"] != true || out["user"] != "switchboard" || h.Get("X-OAuth-Scopes") != "chat:write,channels:read" {
		t.Errorf("auth.test: %v %v", out, h)
	}

	// Two per page, archived left out on request.
	out, _ = call(t, s, "conversations.list", "xoxb-1", url.Values{"limit": {"2"}})
	chans := out["channels"].([]any)
	next := out["response_metadata"].(map[string]any)["next_cursor"]
	if len(chans) != 2 || next != "next:2" || chans[1].(map[string]any)["is_member"] != true {
		t.Fatalf("page 1: %v", out)
	}
	out, _ = call(t, s, "conversations.list", "xoxb-1", url.Values{"limit": {"2"}, "cursor": {"next:2"}})
	if c := out["channels"].([]any); len(c) != 1 || c[0].(map[string]any)["is_archived"] != true || out["response_metadata"].(map[string]any)["next_cursor"] != "" {
		t.Errorf("page 2: %v", out)
	}
	out, _ = call(t, s, "conversations.list", "xoxb-1", url.Values{"exclude_archived": {"true"}})
	if c := out["channels"].([]any); len(c) != 2 {
		t.Errorf("exclude_archived: %v", out)
	}
	if out, _ := call(t, s, "conversations.list", "xoxb-1", url.Values{"cursor": {"bogus"}}); out["error"] != "invalid_cursor" {
		t.Errorf("bad cursor: %v", out)
	}

	id := channelID("#b")
	out, _ = call(t, s, "conversations.info", "xoxb-1", url.Values{"channel": {id}})
	if ch := out["channel"].(map[string]any); ch["name"] != "b" || ch["is_member"] != true {
		t.Errorf("info: %v", out)
	}
	if out, _ := call(t, s, "conversations.info", "xoxb-1", url.Values{"channel": {"C999999"}}); out["error"] != "channel_not_found" {
		t.Errorf("unknown channel: %v", out)
	}

	s.SetScopes("chat:write")
	out, h = call(t, s, "conversations.list", "xoxb-1", nil)
	if out["error"] != "missing_scope" || out["needed"] != "channels:read" || out["provided"] != "chat:write" || h.Get("X-OAuth-Scopes") != "chat:write" {
		t.Errorf("missing scope: %v %v", out, h)
	}
}
