package fakegithub

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is one commit status the fake was asked to create.
type Status struct {
	ID           int64
	Owner, Repo  string
	SHA          string
	State        string
	Context      string
	TargetURL    string
	Description  string
	Installation int64
	CreatedAt    time.Time
}

// Statuses returns the statuses created on sha of owner/repo, oldest first.
func (s *Server) Statuses(owner, repo, sha string) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Status
	for _, st := range s.statuses {
		if strings.EqualFold(st.Owner, owner) && strings.EqualFold(st.Repo, repo) && st.SHA == sha {
			out = append(out, st)
		}
	}
	return out
}

const docStatuses = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"

// createStatus answers POST /repos/{owner}/{repo}/statuses/{sha} with 201 and
// the status; a state outside pending, success, failure, error is 422.
// GitHub also refuses a description over 140 characters with 422.
// https://docs.github.com/rest/commits/statuses#create-a-commit-status
func (s *Server) createStatus(w http.ResponseWriter, r *http.Request, c caller) {
	var in struct {
		State       string  `json:"state"`
		TargetURL   *string `json:"target_url"`
		Description *string `json:"description"`
		Context     *string `json:"context"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docStatuses)
		return
	}
	switch in.State {
	case "pending", "success", "failure", "error":
	default:
		writeValidation(w, docStatuses, fieldError{Resource: "Status", Field: "state", Code: "custom", Message: "state is not included in the list"})
		return
	}
	st := Status{
		Owner: r.PathValue("owner"), Repo: r.PathValue("repo"), SHA: r.PathValue("sha"),
		State: in.State, Context: "default", Installation: c.installation, CreatedAt: s.opts.Now(),
	}
	if in.Context != nil && *in.Context != "" {
		st.Context = *in.Context
	}
	if in.TargetURL != nil {
		st.TargetURL = *in.TargetURL
	}
	if in.Description != nil {
		st.Description = *in.Description
	}
	if utf8.RuneCountInString(st.Description) > 140 {
		writeValidation(w, docStatuses, fieldError{Resource: "Status", Field: "description", Code: "custom", Message: "description is too long (maximum is 140 characters)"})
		return
	}
	s.mu.Lock()
	st.ID = s.id()
	s.statuses = append(s.statuses, st)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": st.ID, "url": s.apiURL("/repos/%s/%s/statuses/%s", st.Owner, st.Repo, st.SHA),
		"state": st.State, "context": st.Context, "description": nullable(st.Description), "target_url": nullable(st.TargetURL),
		"created_at": st.CreatedAt.UTC().Format(time.RFC3339), "updated_at": st.CreatedAt.UTC().Format(time.RFC3339),
		"creator": user(s.botLogin()),
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
