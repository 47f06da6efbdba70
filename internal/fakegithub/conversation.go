package fakegithub

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PullRequest is what the fake answers for GET /repos/{owner}/{repo}/
// pulls/{number}.
type PullRequest struct {
	Number  int
	Title   string
	HeadSHA string
	Head    string // head branch
	Base    string // base branch
	Author  string
	Draft   bool
	Labels  []string
	State   string // default "open"
}

// Reaction is one reaction created on an issue comment.
type Reaction struct {
	ID          int64
	Owner, Repo string
	CommentID   int64
	Content     string
	User        string
}

// SetPullRequest sets (or replaces) a pull request.
func (s *Server) SetPullRequest(owner, repo string, pr PullRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conv.pulls == nil {
		s.conv.pulls = map[issueKey]PullRequest{}
	}
	s.conv.pulls[newIssueKey(owner, repo, pr.Number)] = pr
}

// Reactions returns the reactions on comment id, oldest first.
func (s *Server) Reactions(commentID int64) []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Reaction
	for _, r := range s.conv.reactions {
		if r.CommentID == commentID {
			out = append(out, r)
		}
	}
	return out
}

// SetTeamMembers sets the active members of team "org/slug".
func (s *Server) SetTeamMembers(team string, logins ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conv.teams == nil {
		s.conv.teams = map[string][]string{}
	}
	s.conv.teams[strings.ToLower(team)] = logins
}

const (
	docGetPull        = "https://docs.github.com/rest/pulls/pulls#get-a-pull-request"
	docCreateReaction = "https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment"
	docGetApp         = "https://docs.github.com/rest/apps/apps#get-the-authenticated-app"
	docTeamMembership = "https://docs.github.com/rest/teams/members#get-team-membership-for-a-user"
	docCombinedStatus = "https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference"
)

// getPull answers GET /repos/{owner}/{repo}/pulls/{number}: 200 and the
// pull request, 404 when there is none.
// https://docs.github.com/rest/pulls/pulls#get-a-pull-request
func (s *Server) getPull(w http.ResponseWriter, r *http.Request, _ caller) {
	k, ok := issueOf(w, r, docGetPull)
	if !ok {
		return
	}
	s.mu.Lock()
	pr, ok := s.conv.pulls[k]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", docGetPull)
		return
	}
	state := pr.State
	if state == "" {
		state = "open"
	}
	labels := make([]map[string]any, 0, len(pr.Labels))
	for _, l := range pr.Labels {
		labels = append(labels, map[string]any{"name": l})
	}
	owner, repo := r.PathValue("owner"), r.PathValue("repo")
	repoJSON := map[string]any{"name": repo, "full_name": owner + "/" + repo, "owner": map[string]any{"login": owner}}
	writeJSON(w, http.StatusOK, map[string]any{
		"number": pr.Number, "state": state, "title": pr.Title, "draft": pr.Draft, "labels": labels,
		"user":     user(pr.Author),
		"html_url": "https://github.com/" + owner + "/" + repo + "/pull/" + strconv.Itoa(pr.Number),
		"url":      s.apiURL("/repos/%s/%s/pulls/%d", owner, repo, pr.Number),
		"head":     map[string]any{"ref": pr.Head, "sha": pr.HeadSHA, "repo": repoJSON},
		"base":     map[string]any{"ref": pr.Base, "repo": repoJSON},
	})
}

// createReaction answers POST /repos/{owner}/{repo}/issues/comments/
// {comment_id}/reactions: 201 with the new reaction, 200 when the caller
// already reacted so.
// https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment
func (s *Server) createReaction(w http.ResponseWriter, r *http.Request, _ caller) {
	id, err := strconv.ParseInt(r.PathValue("comment_id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "Not Found", docCreateReaction)
		return
	}
	var in struct {
		Content string `json:"content"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docCreateReaction)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	status := http.StatusCreated
	var re Reaction
	for _, old := range s.conv.reactions {
		if old.CommentID == id && old.Content == in.Content && old.User == s.botLogin() {
			re, status = old, http.StatusOK
		}
	}
	if status == http.StatusCreated {
		re = Reaction{ID: s.id(), Owner: r.PathValue("owner"), Repo: r.PathValue("repo"), CommentID: id, Content: in.Content, User: s.botLogin()}
		s.conv.reactions = append(s.conv.reactions, re)
	}
	writeJSON(w, status, map[string]any{"id": re.ID, "content": re.Content, "user": user(re.User),
		"created_at": s.opts.Now().UTC().Format(time.RFC3339)})
}

// teamMembership answers GET /orgs/{org}/teams/{team_slug}/memberships/
// {username}: 200 {"state":"active"} for a member, 404 otherwise.
// https://docs.github.com/rest/teams/members#get-team-membership-for-a-user
func (s *Server) teamMembership(w http.ResponseWriter, r *http.Request, _ caller) {
	s.mu.Lock()
	members := s.conv.teams[strings.ToLower(r.PathValue("org")+"/"+r.PathValue("team"))]
	s.mu.Unlock()
	for _, m := range members {
		if strings.EqualFold(m, r.PathValue("username")) {
			writeJSON(w, http.StatusOK, map[string]any{"state": "active", "role": "member",
				"url": s.apiURL("/orgs/%s/teams/%s/memberships/%s", r.PathValue("org"), r.PathValue("team"), m)})
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found", docTeamMembership)
}

// combinedStatus answers GET /repos/{owner}/{repo}/commits/{ref}/status:
// the latest status of each context.
// https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference
func (s *Server) combinedStatus(w http.ResponseWriter, r *http.Request, _ caller) {
	all := s.Statuses(r.PathValue("owner"), r.PathValue("repo"), r.PathValue("ref"))
	latest := map[string]int{}
	var picked []Status
	for _, st := range all {
		if i, ok := latest[st.Context]; ok {
			picked[i] = st
			continue
		}
		latest[st.Context] = len(picked)
		picked = append(picked, st)
	}
	state := "success"
	out := make([]map[string]any, 0, len(picked))
	for _, st := range picked {
		switch {
		case st.State == "failure" || st.State == "error":
			state = "failure"
		case st.State == "pending" && state == "success":
			state = "pending"
		}
		out = append(out, map[string]any{"id": st.ID, "state": st.State, "context": st.Context,
			"description": nullable(st.Description), "target_url": nullable(st.TargetURL)})
	}
	if len(picked) == 0 {
		state = "pending"
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": state, "sha": r.PathValue("ref"), "total_count": len(out), "statuses": out})
}

// conversationRoutes adds the endpoints of check runs, pull requests,
// reactions, teams and combined statuses.
func (s *Server) conversationRoutes(mux *http.ServeMux) {
	// GET /app is served by manifest.go.
	mux.HandleFunc("POST /repos/{owner}/{repo}/check-runs", s.installation(s.checked(schemaCreateCheckRun, docCreateCheckRun, s.createCheckRun)))
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/check-runs/{id}", s.installation(s.checked(schemaUpdateCheckRun, docUpdateCheckRun, s.updateCheckRun)))
	mux.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", s.installation(s.listCheckRunsForRef))
	mux.HandleFunc("GET /repos/{owner}/{repo}/check-suites/{suite}/check-runs", s.installation(s.listCheckRunsInSuite))
	mux.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref}/status", s.installation(s.combinedStatus))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}", s.installation(s.getPull))
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", s.installation(s.checked(schemaCreateReaction, docCreateReaction, s.createReaction)))
	mux.HandleFunc("GET /orgs/{org}/teams/{team}/memberships/{username}", s.installation(s.teamMembership))
}
