package fakegithub

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// Comment is one comment on an issue or pull request.
type Comment struct {
	ID          int64
	Owner, Repo string
	Issue       int
	Body        string
	// User is the author's login; the App's comments are AppSlug + "[bot]".
	User string
	// Installation is the installation whose token posted it; 0 when the
	// test seeded it with AddComment.
	Installation int64
	CreatedAt    time.Time
}

// Comments returns the comments on issue or pull request number, oldest first.
func (s *Server) Comments(owner, repo string, number int) []Comment {
	k := newIssueKey(owner, repo, number)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if newIssueKey(c.Owner, c.Repo, c.Issue) == k {
			out = append(out, c)
		}
	}
	return out
}

// AddComment seeds a comment by user, as if someone had written it.
func (s *Server) AddComment(owner, repo string, number int, user, body string) Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Comment{ID: s.id(), Owner: owner, Repo: repo, Issue: number, Body: body, User: user, CreatedAt: s.opts.Now()}
	s.comments = append(s.comments, c)
	return c
}

const (
	docListComments  = "https://docs.github.com/rest/issues/comments#list-issue-comments"
	docCreateComment = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"
	maxCommentLength = 65536
)

func (s *Server) commentJSON(c Comment) map[string]any {
	ts := c.CreatedAt.UTC().Format(time.RFC3339)
	return map[string]any{
		"id": c.ID, "body": c.Body, "user": user(c.User), "created_at": ts, "updated_at": ts,
		"url":                s.apiURL("/repos/%s/%s/issues/comments/%d", c.Owner, c.Repo, c.ID),
		"issue_url":          s.apiURL("/repos/%s/%s/issues/%d", c.Owner, c.Repo, c.Issue),
		"html_url":           "https://github.com/" + c.Owner + "/" + c.Repo + "/issues/" + strconv.Itoa(c.Issue) + "#issuecomment-" + strconv.FormatInt(c.ID, 10),
		"author_association": "NONE",
	}
}

// listComments answers GET /repos/{owner}/{repo}/issues/{number}/comments,
// oldest first, page-paged.
// https://docs.github.com/rest/issues/comments#list-issue-comments
func (s *Server) listComments(w http.ResponseWriter, r *http.Request, _ caller) {
	k, ok := issueOf(w, r, docListComments)
	if !ok {
		return
	}
	all := s.Comments(k.owner, k.repo, k.number)
	from, to := pageBounds(w, r, len(all))
	out := make([]map[string]any, 0, to-from)
	for _, c := range all[from:to] {
		out = append(out, s.commentJSON(c))
	}
	writeJSON(w, http.StatusOK, out)
}

// createComment answers POST /repos/{owner}/{repo}/issues/{number}/comments
// with 201 and the comment; a missing body is 422.
// https://docs.github.com/rest/issues/comments#create-an-issue-comment
func (s *Server) createComment(w http.ResponseWriter, r *http.Request, c caller) {
	k, ok := issueOf(w, r, docCreateComment)
	if !ok {
		return
	}
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docCreateComment)
		return
	}
	if in.Body == nil {
		writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"body\" wasn't supplied.", docCreateComment)
		return
	}
	if *in.Body == "" {
		writeValidation(w, docCreateComment, fieldError{Resource: "IssueComment", Field: "body", Code: "missing_field"})
		return
	}
	if utf8.RuneCountInString(*in.Body) > maxCommentLength {
		writeValidation(w, docCreateComment, fieldError{Resource: "IssueComment", Field: "body", Code: "custom", Message: "body is too long (maximum is 65536 characters)"})
		return
	}
	s.mu.Lock()
	cm := Comment{
		ID: s.id(), Owner: r.PathValue("owner"), Repo: r.PathValue("repo"), Issue: k.number,
		Body: *in.Body, User: s.botLogin(), Installation: c.installation, CreatedAt: s.opts.Now(),
	}
	s.comments = append(s.comments, cm)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, s.commentJSON(cm))
}
