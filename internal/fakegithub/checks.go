package fakegithub

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// CheckRun is one check run the fake holds, as last updated.
type CheckRun struct {
	ID          int64
	Owner, Repo string
	HeadSHA     string
	Name        string
	ExternalID  string
	DetailsURL  string
	Status      string // queued, in_progress, completed, ...
	Conclusion  string // set when completed
	Title       string // output.title
	Summary     string // output.summary
	Text        string // output.text
	// Annotations are output.annotations, in the order sent (appended on
	// update, as GitHub does).
	Annotations []Annotation
	SuiteID     int64
	// History lists every status (and "completed/<conclusion>") the run
	// went through, in order.
	History      []string
	Installation int64
	StartedAt    time.Time
	CompletedAt  time.Time
}

// conversation is the fake's state for check runs, pull requests,
// reactions and teams.
type conversation struct {
	checkRuns []*CheckRun
	suites    map[string]int64 // "owner/repo@sha" -> check suite ID
	pulls     map[issueKey]PullRequest
	reactions []Reaction
	teams     map[string][]string // "org/slug" -> member logins
}

const (
	docCreateCheckRun = "https://docs.github.com/rest/checks/runs#create-a-check-run"
	docUpdateCheckRun = "https://docs.github.com/rest/checks/runs#update-a-check-run"
	docListCheckRuns  = "https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference"
	docSuiteCheckRuns = "https://docs.github.com/rest/checks/runs#list-check-runs-in-a-check-suite"
)

// CheckRuns returns the check runs on sha of owner/repo, oldest first
// (copies).
func (s *Server) CheckRuns(owner, repo, sha string) []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CheckRun
	for _, c := range s.conv.checkRuns {
		if strings.EqualFold(c.Owner, owner) && strings.EqualFold(c.Repo, repo) && c.HeadSHA == sha {
			cp := *c
			cp.History = append([]string(nil), c.History...)
			cp.Annotations = append([]Annotation(nil), c.Annotations...)
			out = append(out, cp)
		}
	}
	return out
}

// AddCheckRun seeds a completed check run, as if an earlier run had left
// it; it returns the run with its ID and suite.
func (s *Server) AddCheckRun(c CheckRun) CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.ID = s.id()
	c.SuiteID = s.suiteLocked(c.Owner, c.Repo, c.HeadSHA)
	cp := c
	s.conv.checkRuns = append(s.conv.checkRuns, &cp)
	return c
}

func (s *Server) suiteLocked(owner, repo, sha string) int64 {
	if s.conv.suites == nil {
		s.conv.suites = map[string]int64{}
	}
	k := strings.ToLower(owner+"/"+repo) + "@" + sha
	if id, ok := s.conv.suites[k]; ok {
		return id
	}
	id := s.id()
	s.conv.suites[k] = id
	return id
}

// checkRunIn is the body of a create or update, after the schema check.
type checkRunIn struct {
	Name        *string `json:"name"`
	HeadSHA     string  `json:"head_sha"`
	DetailsURL  *string `json:"details_url"`
	ExternalID  *string `json:"external_id"`
	Status      *string `json:"status"`
	Conclusion  *string `json:"conclusion"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	Output      *struct {
		Title       string       `json:"title"`
		Summary     string       `json:"summary"`
		Text        *string      `json:"text"`
		Annotations []Annotation `json:"annotations"`
	} `json:"output"`
}

// Annotation is one output.annotations entry of a check run.
// https://docs.github.com/rest/checks/runs#create-a-check-run
type Annotation struct {
	Path            string `json:"path"`
	StartLine       int    `json:"start_line"`
	EndLine         int    `json:"end_line"`
	StartColumn     int    `json:"start_column,omitempty"`
	EndColumn       int    `json:"end_column,omitempty"`
	AnnotationLevel string `json:"annotation_level"`
	Message         string `json:"message"`
	Title           string `json:"title,omitempty"`
}

// apply sets the fields given; a conclusion completes the run, as GitHub
// does. It returns a validation message, or "".
func (in *checkRunIn) apply(c *CheckRun, now time.Time) string {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.DetailsURL != nil {
		c.DetailsURL = *in.DetailsURL
	}
	if in.ExternalID != nil {
		c.ExternalID = *in.ExternalID
	}
	if in.Output != nil {
		c.Title, c.Summary = in.Output.Title, in.Output.Summary
		if in.Output.Text != nil {
			c.Text = *in.Output.Text
		}
		c.Annotations = append(c.Annotations, in.Output.Annotations...)
	}
	status := ""
	if in.Status != nil {
		status = *in.Status
	}
	if in.Conclusion != nil && *in.Conclusion != "" {
		status = "completed"
		c.Conclusion = *in.Conclusion
	}
	if status == "completed" && c.Conclusion == "" {
		return "conclusion wasn't supplied: a completed check run needs one"
	}
	if status != "" {
		if c.Status == "completed" && status != "completed" {
			return "a completed check run cannot go back to " + status
		}
		c.Status = status
		entry := status
		if status == "completed" {
			entry += "/" + c.Conclusion
			c.CompletedAt = now
		}
		if status == "in_progress" && c.StartedAt.IsZero() {
			c.StartedAt = now
		}
		c.History = append(c.History, entry)
	}
	return ""
}

// createCheckRun answers POST /repos/{owner}/{repo}/check-runs with 201 and
// the run; status defaults to queued.
// https://docs.github.com/rest/checks/runs#create-a-check-run
func (s *Server) createCheckRun(w http.ResponseWriter, r *http.Request, c caller) {
	var in checkRunIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docCreateCheckRun)
		return
	}
	if in.Status == nil && (in.Conclusion == nil || *in.Conclusion == "") {
		q := "queued"
		in.Status = &q
	}
	now := s.opts.Now()
	cr := &CheckRun{Owner: r.PathValue("owner"), Repo: r.PathValue("repo"), HeadSHA: in.HeadSHA, Installation: c.installation}
	if msg := in.apply(cr, now); msg != "" {
		writeValidation(w, docCreateCheckRun, fieldError{Resource: "CheckRun", Field: "conclusion", Code: "custom", Message: msg})
		return
	}
	s.mu.Lock()
	cr.ID = s.id()
	cr.SuiteID = s.suiteLocked(cr.Owner, cr.Repo, cr.HeadSHA)
	s.conv.checkRuns = append(s.conv.checkRuns, cr)
	out := s.checkRunJSON(cr)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

// updateCheckRun answers PATCH /repos/{owner}/{repo}/check-runs/{id} with
// 200 and the run, 404 for a run of another repository or none.
// https://docs.github.com/rest/checks/runs#update-a-check-run
func (s *Server) updateCheckRun(w http.ResponseWriter, r *http.Request, _ caller) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in checkRunIn
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docUpdateCheckRun)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cr := range s.conv.checkRuns {
		if cr.ID == id && strings.EqualFold(cr.Owner, r.PathValue("owner")) && strings.EqualFold(cr.Repo, r.PathValue("repo")) {
			if msg := in.apply(cr, s.opts.Now()); msg != "" {
				writeValidation(w, docUpdateCheckRun, fieldError{Resource: "CheckRun", Field: "status", Code: "custom", Message: msg})
				return
			}
			writeJSON(w, http.StatusOK, s.checkRunJSON(cr))
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found", docUpdateCheckRun)
}

// listCheckRunsForRef answers GET /repos/{owner}/{repo}/commits/{ref}/
// check-runs: the latest run of each name (filter=latest, the default) or
// all (filter=all); check_name narrows to one name.
// https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference
func (s *Server) listCheckRunsForRef(w http.ResponseWriter, r *http.Request, _ caller) {
	owner, repo, ref := r.PathValue("owner"), r.PathValue("repo"), r.PathValue("ref")
	s.listCheckRuns(w, r, func(c *CheckRun) bool {
		return strings.EqualFold(c.Owner, owner) && strings.EqualFold(c.Repo, repo) && c.HeadSHA == ref
	})
}

// listCheckRunsInSuite answers GET /repos/{owner}/{repo}/check-suites/
// {check_suite_id}/check-runs.
// https://docs.github.com/rest/checks/runs#list-check-runs-in-a-check-suite
func (s *Server) listCheckRunsInSuite(w http.ResponseWriter, r *http.Request, _ caller) {
	id, _ := strconv.ParseInt(r.PathValue("suite"), 10, 64)
	s.listCheckRuns(w, r, func(c *CheckRun) bool { return c.SuiteID == id })
}

func (s *Server) listCheckRuns(w http.ResponseWriter, r *http.Request, match func(*CheckRun) bool) {
	filter := r.URL.Query().Get("filter")
	name := r.URL.Query().Get("check_name")
	if filter != "" && filter != "latest" && filter != "all" {
		writeValidation(w, docListCheckRuns, fieldError{Resource: "CheckRun", Field: "filter", Code: "invalid"})
		return
	}
	s.mu.Lock()
	var picked []*CheckRun
	latest := map[string]int{}
	for _, c := range s.conv.checkRuns {
		if !match(c) || (name != "" && c.Name != name) {
			continue
		}
		if i, ok := latest[c.Name]; ok && filter != "all" {
			picked[i] = c
			continue
		}
		latest[c.Name] = len(picked)
		picked = append(picked, c)
	}
	// Newest first, as GitHub lists them.
	runs := make([]map[string]any, 0, len(picked))
	for i := len(picked) - 1; i >= 0; i-- {
		runs = append(runs, s.checkRunJSON(picked[i]))
	}
	s.mu.Unlock()
	from, to := pageBounds(w, r, len(runs))
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(runs), "check_runs": runs[from:to]})
}

// checkRunJSON renders a run as GitHub does. The caller holds s.mu.
func (s *Server) checkRunJSON(c *CheckRun) map[string]any {
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339)
	}
	return map[string]any{
		"id": c.ID, "name": c.Name, "head_sha": c.HeadSHA, "external_id": c.ExternalID,
		"url":         s.apiURL("/repos/%s/%s/check-runs/%d", c.Owner, c.Repo, c.ID),
		"html_url":    "https://github.com/" + c.Owner + "/" + c.Repo + "/runs/" + strconv.FormatInt(c.ID, 10),
		"details_url": nullable(c.DetailsURL), "status": c.Status, "conclusion": nullable(c.Conclusion),
		"started_at": ts(c.StartedAt), "completed_at": ts(c.CompletedAt),
		"output":        map[string]any{"title": nullable(c.Title), "summary": nullable(c.Summary), "text": nullable(c.Text), "annotations_count": 0},
		"check_suite":   map[string]any{"id": c.SuiteID},
		"app":           map[string]any{"id": s.opts.AppID, "slug": s.opts.AppSlug},
		"pull_requests": []any{},
	}
}
