package githubapp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxContentsResponse bounds the contents API answer read: the file itself
// is bounded by what calls it, this only guards memory.
const maxContentsResponse = 4 << 20

// FileContents reads the file at path of owner/repo through the contents
// API (https://docs.github.com/rest/repos/contents#get-repository-content)
// as installation, at ref (a branch, tag or commit; "" is the default
// branch). etag, when given, makes the request conditional (If-None-Match):
// GitHub then answers 304, which does not count against the rate limit.
// status is 200 (data, blob sha and the new ETag set), 304 (nothing
// changed) or 404 (no such file or repository, or none the installation
// may read); any other answer is an error, with its status (a rate limit
// as 429, even when GitHub answers it with 403).
func (c *Creator) FileContents(ctx context.Context, installation int64, owner, repo, path, ref, etag string) (data []byte, sha, newETag string, status int, err error) {
	if err := checkRepo(owner, repo); err != nil {
		return nil, "", "", 0, err
	}
	gc, err := c.Installation(installation)
	if err != nil {
		return nil, "", "", 0, err
	}
	u := c.apiRoot() + "/repos/" + owner + "/" + repo + "/contents/" + (&url.URL{Path: path}).EscapedPath()
	if ref != "" {
		u += "?ref=" + url.QueryEscape(ref)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", "", 0, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("User-Agent", c.userAgent)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := gc.Client().Do(req)
	if err != nil {
		return nil, "", "", 0, fmt.Errorf("githubapp: read %s of %s/%s: %w", path, owner, repo, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxContentsResponse))
	if err != nil {
		return nil, "", "", 0, fmt.Errorf("githubapp: read %s of %s/%s: %w", path, owner, repo, err)
	}
	switch resp.StatusCode {
	case http.StatusNotModified:
		return nil, "", etag, http.StatusNotModified, nil
	case http.StatusNotFound:
		return nil, "", "", http.StatusNotFound, nil
	case http.StatusOK:
	default:
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &e)
		status := resp.StatusCode
		if status == http.StatusForbidden && (resp.Header.Get("X-RateLimit-Remaining") == "0" || resp.Header.Get("Retry-After") != "") {
			// A rate limit, not a refusal: it passes. Said as 429 so
			// that callers need not read headers to tell them apart.
			status = http.StatusTooManyRequests
		}
		return nil, "", "", status, fmt.Errorf("githubapp: read %s of %s/%s: %s %s", path, owner, repo, resp.Status, e.Message)
	}
	var f struct {
		Type     string `json:"type"`
		Encoding string `json:"encoding"`
		Content  string `json:"content"`
		SHA      string `json:"sha"`
	}
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, "", "", 0, fmt.Errorf("githubapp: read %s of %s/%s: answer is not a file: %w", path, owner, repo, err)
	}
	if f.Type != "file" || f.Encoding != "base64" {
		return nil, "", "", 0, fmt.Errorf("githubapp: read %s of %s/%s: not a file (type %q, encoding %q)", path, owner, repo, f.Type, f.Encoding)
	}
	data, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\n", "", "\r", "").Replace(f.Content))
	if err != nil {
		return nil, "", "", 0, fmt.Errorf("githubapp: read %s of %s/%s: bad base64 content: %w", path, owner, repo, err)
	}
	return data, f.SHA, resp.Header.Get("ETag"), http.StatusOK, nil
}
