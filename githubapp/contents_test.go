package githubapp_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/internal/fakegithub"
)

// FileContents against the fake's contents API: the base64 content
// decoded, the blob sha, an ETag that turns the next request into a 304,
// a ref, a 404 for a missing file, and an error (with its status) for
// anything else.
func TestFileContents(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	body := []byte(strings.Repeat("rules: []  # long enough to wrap the base64 lines\n", 5))
	e.gh.SetFile("acme", "widgets", "", ".github/switchboard.yml", body)
	e.gh.SetFile("acme", "widgets", "abc123", ".github/switchboard.yml", []byte("rules: [] # at abc123\n"))

	data, sha, etag, status, err := e.c.FileContents(ctx, 7, "acme", "widgets", ".github/switchboard.yml", "", "")
	if err != nil || status != http.StatusOK || string(data) != string(body) || sha != fakegithub.BlobSHA(body) || etag == "" {
		t.Fatalf("first read: %q sha %s etag %q status %d err %v", data, sha, etag, status, err)
	}
	data, _, etag2, status, err := e.c.FileContents(ctx, 7, "acme", "widgets", ".github/switchboard.yml", "", etag)
	if err != nil || status != http.StatusNotModified || data != nil || etag2 != etag {
		t.Fatalf("conditional read: %q etag %q status %d err %v", data, etag2, status, err)
	}
	data, _, _, status, err = e.c.FileContents(ctx, 7, "acme", "widgets", ".github/switchboard.yml", "abc123", etag)
	if err != nil || status != http.StatusOK || string(data) != "rules: [] # at abc123\n" {
		t.Fatalf("read at a ref: %q status %d err %v", data, status, err)
	}
	_, _, _, status, err = e.c.FileContents(ctx, 7, "acme", "gadgets", ".github/switchboard.yml", "", "")
	if err != nil || status != http.StatusNotFound {
		t.Fatalf("missing file: status %d err %v", status, err)
	}
	e.gh.Fail("GET /repos/acme/widgets/contents/.github/switchboard.yml", 1, http.StatusForbidden, "Resource not accessible by integration")
	_, _, _, status, err = e.c.FileContents(ctx, 7, "acme", "widgets", ".github/switchboard.yml", "", "")
	if err == nil || status != http.StatusForbidden || !strings.Contains(err.Error(), "Resource not accessible by integration") {
		t.Fatalf("refused read: status %d err %v", status, err)
	}
	e.gh.RateLimit("GET /repos/acme/widgets/contents/.github/switchboard.yml", 1, http.StatusForbidden, time.Now().Add(time.Minute))
	_, _, _, status, err = e.c.FileContents(ctx, 7, "acme", "widgets", ".github/switchboard.yml", "", "")
	if err == nil || status != http.StatusTooManyRequests {
		t.Fatalf("rate limited read: status %d err %v, want 429", status, err)
	}
	if _, _, _, _, err := e.c.FileContents(ctx, 7, "acme", "..", ".github/switchboard.yml", "", ""); err == nil {
		t.Fatalf("a repository named .. was asked for")
	}
	var n304 int
	for _, r := range e.gh.Requests() {
		if r.Status == http.StatusNotModified {
			n304++
		}
	}
	if n304 != 1 {
		t.Errorf("%d answers were 304, want 1", n304)
	}
}
