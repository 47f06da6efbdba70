package fakegithub

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The contents endpoint answers as GitHub documents it: a file object with
// base64 content broken into lines, the blob sha (git hash-object), an
// ETag; 304 with no body for a matching If-None-Match; JSON 404 for a
// missing file or ref; 401 without a token.
func TestGetContents(t *testing.T) {
	f := newFixture(t, nil)
	auth := "token " + f.token(t, "3")
	f.s.SetFile("Acme", "Widgets", "", ".github/switchboard.yml", []byte("hello\n"))
	long := []byte(strings.Repeat("0123456789", 10))
	f.s.SetFile("acme", "widgets", "v2", ".github/switchboard.yml", long)
	u := f.s.URL() + "repos/acme/widgets/contents/.github/switchboard.yml"

	resp, b := do(t, "GET", u, auth, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var file struct{ Type, Encoding, Content, SHA, Path string }
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	// git hash-object of "hello\n".
	if file.Type != "file" || file.Encoding != "base64" || file.SHA != "ce013625030ba8dba906f756967f9e9ca394464a" || file.Path != ".github/switchboard.yml" {
		t.Errorf("file %+v", file)
	}
	if d, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(file.Content, "\n", "")); err != nil || string(d) != "hello\n" {
		t.Errorf("content %q: %q, %v", file.Content, d, err)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", auth)
	req.Header.Set("If-None-Match", etag)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("conditional request: %d %q", r2.StatusCode, body)
	}

	resp, b = do(t, "GET", u+"?ref=v2", auth, nil)
	if err := json.Unmarshal(b, &file); err != nil || resp.StatusCode != 200 {
		t.Fatalf("at a ref: %d %s", resp.StatusCode, b)
	}
	for _, line := range strings.Split(strings.TrimSuffix(file.Content, "\n"), "\n") {
		if len(line) > 60 {
			t.Errorf("a content line of %d characters; GitHub breaks them at 60", len(line))
		}
	}
	if resp.Header.Get("ETag") == etag {
		t.Errorf("another ref has the same ETag")
	}

	for _, missing := range []string{u + "?ref=nope", f.s.URL() + "repos/acme/widgets/contents/README.md"} {
		resp, b = do(t, "GET", missing, auth, nil)
		if resp.StatusCode != 404 || ghError(t, b).Message != "Not Found" {
			t.Errorf("%s: %d %s", missing, resp.StatusCode, b)
		}
	}
	if resp, _ := do(t, "GET", u, "", nil); resp.StatusCode != 401 {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
}
