package fakegithub

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Labels returns the labels on issue or pull request number, sorted by name
// as GitHub lists them.
func (s *Server) Labels(owner, repo string, number int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.labels[newIssueKey(owner, repo, number)])
}

// SetLabels replaces the labels on issue or pull request number.
func (s *Server) SetLabels(owner, repo string, number int, labels []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := newIssueKey(owner, repo, number)
	s.labels[k] = nil
	s.addLabelsLocked(k, labels)
}

func (s *Server) addLabelsLocked(k issueKey, names []string) {
	cur := s.labels[k]
	for _, n := range names {
		if !slices.ContainsFunc(cur, func(c string) bool { return strings.EqualFold(c, n) }) {
			cur = append(cur, n)
		}
	}
	slices.SortFunc(cur, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	s.labels[k] = cur
}

// labelsJSON renders GitHub label objects; call with s.mu held.
func (s *Server) labelsJSON(k issueKey) []map[string]any {
	out := make([]map[string]any, 0, len(s.labels[k]))
	for _, n := range s.labels[k] {
		id, ok := s.labelIDs[strings.ToLower(n)]
		if !ok {
			id = s.id()
			s.labelIDs[strings.ToLower(n)] = id
		}
		out = append(out, map[string]any{
			"id": id, "name": n, "color": "ededed", "default": false, "description": nil,
			"url": s.apiURL("/repos/%s/%s/labels/%s", k.owner, k.repo, n),
		})
	}
	return out
}

const (
	docAddLabels   = "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue"
	docRemoveLabel = "https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue"
	docListLabels  = "https://docs.github.com/rest/issues/labels#list-labels-for-an-issue"
)

// listLabels answers GET /repos/{owner}/{repo}/issues/{number}/labels.
// https://docs.github.com/rest/issues/labels#list-labels-for-an-issue
func (s *Server) listLabels(w http.ResponseWriter, r *http.Request, _ caller) {
	k, ok := issueOf(w, r, docListLabels)
	if !ok {
		return
	}
	s.mu.Lock()
	all := s.labelsJSON(k)
	s.mu.Unlock()
	from, to := pageBounds(w, r, len(all))
	writeJSON(w, http.StatusOK, all[from:to])
}

// addLabels answers POST /repos/{owner}/{repo}/issues/{number}/labels with
// 200 and every label now on the issue. The body is {"labels": [...]} (names
// or {"name": ...} objects) or a bare array of names, as go-github sends it.
// https://docs.github.com/rest/issues/labels#add-labels-to-an-issue
func (s *Server) addLabels(w http.ResponseWriter, r *http.Request, _ caller) {
	k, ok := issueOf(w, r, docAddLabels)
	if !ok {
		return
	}
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docAddLabels)
		return
	}
	names, ok := labelNames(raw)
	if !ok {
		writeValidation(w, docAddLabels, fieldError{Resource: "Label", Field: "labels", Code: "invalid"})
		return
	}
	s.mu.Lock()
	s.addLabelsLocked(k, names)
	out := s.labelsJSON(k)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// labelNames reads the label names out of any body shape GitHub accepts.
func labelNames(raw json.RawMessage) ([]string, bool) {
	var wrapped struct {
		Labels json.RawMessage `json:"labels"`
	}
	if json.Unmarshal(raw, &wrapped) == nil && wrapped.Labels != nil {
		raw = wrapped.Labels
	}
	var names []string
	if json.Unmarshal(raw, &names) == nil {
		return names, !slices.Contains(names, "")
	}
	var objs []struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &objs) != nil {
		return nil, false
	}
	names = nil // a failed decode above may have left entries
	for _, o := range objs {
		if o.Name == "" {
			return nil, false
		}
		names = append(names, o.Name)
	}
	return names, true
}

// removeLabel answers DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}
// with 200 and the labels left, or 404 "Label does not exist".
// https://docs.github.com/rest/issues/labels#remove-a-label-from-an-issue
func (s *Server) removeLabel(w http.ResponseWriter, r *http.Request, _ caller) {
	k, ok := issueOf(w, r, docRemoveLabel)
	if !ok {
		return
	}
	name := r.PathValue("name")
	s.mu.Lock()
	cur := s.labels[k]
	i := slices.IndexFunc(cur, func(c string) bool { return strings.EqualFold(c, name) })
	if i < 0 {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Label does not exist", docRemoveLabel)
		return
	}
	s.labels[k] = slices.Delete(cur, i, i+1)
	out := s.labelsJSON(k)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}
