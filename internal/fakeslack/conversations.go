package fakeslack

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// The Web API methods `switchboard check` calls, as Slack documents them:
//
//   - auth.test (https://api.slack.com/methods/auth.test): who the token
//     is; not_authed or invalid_auth otherwise. Every Web API answer to a
//     valid token lists its scopes in the X-OAuth-Scopes header
//     (https://api.slack.com/authentication/oauth-v2#using).
//   - conversations.list (https://api.slack.com/methods/conversations.list):
//     channels with is_member, paged by limit and cursor
//     (response_metadata.next_cursor, "" on the last page); needs
//     channels:read, else {"ok":false,"error":"missing_scope","needed":...}.
//   - conversations.info (https://api.slack.com/methods/conversations.info):
//     one channel by ID; channel_not_found for an unknown one; needs
//     channels:read.

// directory is the workspace as the conversations methods see it.
type directory struct {
	scopes  []string // nil: defaultScopes
	members []string // channels (names or IDs) the bot is in
}

// defaultScopes are a bot's scopes unless SetScopes says otherwise.
var defaultScopes = []string{"chat:write", "channels:read"}

// SetScopes sets the scopes of the bot token, as X-OAuth-Scopes lists them.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir.scopes = append([]string{}, scopes...)
}

// SetMembers sets the channels the bot is a member of (names such as "#ci",
// or IDs).
func (s *Server) SetMembers(channels ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir.members = append([]string{}, channels...)
}

// serveConversations answers the methods above; false for any other path.
func (s *Server) serveConversations(w http.ResponseWriter, r *http.Request) bool {
	var method func(http.ResponseWriter, map[string]string)
	switch r.URL.Path {
	case "/api/auth.test":
		method = s.authTest
	case "/api/conversations.list":
		method = s.conversationsList
	case "/api/conversations.info":
		method = s.conversationsInfo
	default:
		return false
	}
	args, token, err := apiArgs(r)
	switch {
	case err != nil:
		s.apiError(w, "invalid_arguments")
	case token == "":
		s.apiError(w, "not_authed")
	case !equal(token, s.opts.Token):
		s.apiError(w, "invalid_auth")
	default:
		w.Header().Set("X-OAuth-Scopes", strings.Join(s.scopes(), ","))
		method(w, args)
	}
	return true
}

func (s *Server) scopes() []string {
	if s.dir.scopes == nil {
		return defaultScopes
	}
	return s.dir.scopes
}

func (s *Server) ok(w http.ResponseWriter, body map[string]any) {
	s.record("api", http.StatusOK, "")
	body["ok"] = true
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(body)
}

// needScope answers missing_scope unless the token has scope.
func (s *Server) needScope(w http.ResponseWriter, scope string) bool {
	if contains(s.scopes(), scope) {
		return true
	}
	s.record("api", http.StatusOK, "missing_scope")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ok": false, "error": "missing_scope", "needed": scope, "provided": strings.Join(s.scopes(), ","),
	})
	return false
}

func (s *Server) authTest(w http.ResponseWriter, _ map[string]string) {
	s.ok(w, map[string]any{
		"url": "https://fake.slack.com/", "team": "Fake", "user": "switchboard",
		"team_id": "T00000000", "user_id": "U00000001", "bot_id": "B00000001",
	})
}

// channelJSON describes a channel given by name ("#ci") or ID.
func (s *Server) channelJSON(c string) map[string]any {
	id := channelID(c)
	member := false
	for _, m := range s.dir.members {
		if m == c || channelID(m) == id {
			member = true
		}
	}
	return map[string]any{
		"id": id, "name": strings.TrimPrefix(c, "#"), "is_channel": true, "is_private": false,
		"is_archived": contains(s.opts.Archived, c), "is_member": member,
	}
}

func (s *Server) conversationsList(w http.ResponseWriter, args map[string]string) {
	if !s.needScope(w, "channels:read") {
		return
	}
	limit, err := strconv.Atoi(args["limit"])
	if err != nil || limit <= 0 || limit > 1000 {
		limit = 100
	}
	start := 0
	if c := args["cursor"]; c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "next:"))
		if err != nil || !strings.HasPrefix(c, "next:") || n < 0 {
			s.apiError(w, "invalid_cursor")
			return
		}
		start = n
	}
	var all []map[string]any
	for _, c := range s.opts.Channels {
		ch := s.channelJSON(c)
		if args["exclude_archived"] == "true" && ch["is_archived"] == true {
			continue
		}
		all = append(all, ch)
	}
	end, next := min(start+limit, len(all)), ""
	if end < len(all) {
		next = "next:" + strconv.Itoa(end)
	}
	page := []map[string]any{}
	if start < len(all) {
		page = all[start:end]
	}
	s.ok(w, map[string]any{"channels": page, "response_metadata": map[string]any{"next_cursor": next}})
}

func (s *Server) conversationsInfo(w http.ResponseWriter, args map[string]string) {
	if !s.needScope(w, "channels:read") {
		return
	}
	id := args["channel"]
	for _, c := range s.opts.Channels {
		if channelID(c) == id && id != "" {
			s.ok(w, map[string]any{"channel": s.channelJSON(c)})
			return
		}
	}
	s.apiError(w, "channel_not_found")
}
