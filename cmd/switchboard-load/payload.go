package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// placeholder marks the per-request commit SHA in the payload template. It
// is 40 characters, like the hex SHA that replaces it, so the size holds.
const placeholder = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"

// payloadTemplate is a push payload in GitHub's shape, padded to a size,
// with the places where each request writes its own commit SHA.
type payloadTemplate struct {
	body    []byte
	offsets []int // where placeholder stands in body
}

// pushCommit is a commit of a push payload.
type pushCommit struct {
	ID        string   `json:"id"`
	TreeID    string   `json:"tree_id"`
	Distinct  bool     `json:"distinct"`
	Message   string   `json:"message"`
	Timestamp string   `json:"timestamp"`
	URL       string   `json:"url"`
	Author    pushUser `json:"author"`
	Committer pushUser `json:"committer"`
	Added     []string `json:"added"`
	Removed   []string `json:"removed"`
	Modified  []string `json:"modified"`
}

type pushUser struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Username string `json:"username"`
}

// newPayloadTemplate builds a push payload of exactly size bytes, or the
// smallest realistic one when size is below that; the last commit's message
// carries the padding.
func newPayloadTemplate(size int) (payloadTemplate, error) {
	build := func(pad int) ([]byte, error) {
		commit := func(msg string) pushCommit {
			return pushCommit{
				ID: placeholder, TreeID: "f9d2a07e9488b91af2641b26b9407fe22a451433", Distinct: true,
				Message: msg, Timestamp: "2024-05-06T07:08:09Z",
				URL:       "https://github.com/acme/widgets/commit/" + placeholder,
				Author:    pushUser{"Mona Lisa Octocat", "mona@example.com", "monalisa"},
				Committer: pushUser{"GitHub", "noreply@github.com", "web-flow"},
				Added:     []string{"src/widgets/new_widget.go"},
				Removed:   []string{},
				Modified:  []string{"README.md", "go.mod", "src/widgets/widget.go"},
			}
		}
		p := map[string]any{
			"ref":      "refs/heads/main",
			"before":   "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
			"after":    placeholder,
			"created":  false,
			"deleted":  false,
			"forced":   false,
			"base_ref": nil,
			"compare":  "https://github.com/acme/widgets/compare/6113728f27ae...",
			"commits":  []pushCommit{commit("Fix the widget rendering"), commit(strings.Repeat("x", pad))},
			"head_commit": map[string]any{
				"id": placeholder, "message": "Fix the widget rendering",
				"timestamp": "2024-05-06T07:08:09Z",
			},
			"repository": map[string]any{
				"id": 1296269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": "widgets",
				"full_name": "acme/widgets", "private": true,
				"owner":    map[string]any{"login": "acme", "id": 9919, "type": "Organization"},
				"html_url": "https://github.com/acme/widgets", "default_branch": "main",
				"master_branch": "main", "pushed_at": 1714979289,
			},
			"pusher":       map[string]any{"name": "monalisa", "email": "mona@example.com"},
			"organization": map[string]any{"login": "acme", "id": 9919},
			"sender":       map[string]any{"login": "monalisa", "id": 583231, "type": "User"},
			"installation": map[string]any{"id": 4242424, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0MjQyNA=="},
		}
		return json.Marshal(p)
	}
	base, err := build(0)
	if err != nil {
		return payloadTemplate{}, err
	}
	body := base
	if size > len(base) {
		if body, err = build(size - len(base)); err != nil {
			return payloadTemplate{}, err
		}
	}
	if size > len(base) && len(body) != size {
		return payloadTemplate{}, fmt.Errorf("payload is %d bytes, want %d", len(body), size)
	}
	t := payloadTemplate{body: body}
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(placeholder))
		if j < 0 {
			break
		}
		t.offsets = append(t.offsets, i+j)
		i += j + len(placeholder)
	}
	return t, nil
}

// render returns a fresh copy of the payload with sha (40 hex characters)
// in place of the placeholder.
func (t payloadTemplate) render(sha string) []byte {
	b := bytes.Clone(t.body)
	for _, o := range t.offsets {
		copy(b[o:], sha)
	}
	return b
}
