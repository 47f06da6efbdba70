package fakegithub

import (
	"crypto/sha1" //nolint:gosec // git's blob id is SHA-1
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strings"
)

// docContents is the page the contents endpoint follows.
const docContents = "https://docs.github.com/rest/repos/contents#get-repository-content"

// contentKey names one file of one repository (owner and repo lower case).
type contentKey struct {
	owner, repo, path string
}

// SetFile sets the file at path of owner/repo on the default branch (ref
// "") or at a ref (a branch name or commit SHA); nil data deletes it.
func (s *Server) SetFile(owner, repo, ref, filePath string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.contents == nil {
		s.contents = map[contentKey]map[string][]byte{}
	}
	k := contentKey{strings.ToLower(owner), strings.ToLower(repo), filePath}
	if s.contents[k] == nil {
		s.contents[k] = map[string][]byte{}
	}
	if data == nil {
		delete(s.contents[k], ref)
		return
	}
	s.contents[k][ref] = append([]byte(nil), data...)
}

// BlobSHA is git's blob id of data, as the contents API's sha gives it.
func BlobSHA(data []byte) string {
	h := sha1.New() //nolint:gosec // git's blob id is SHA-1
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// getContents answers GET /repos/{owner}/{repo}/contents/{path}?ref= for a
// file: type "file", encoding "base64" with a line break every 60
// characters, as GitHub sends it, the blob sha and an ETag; a request whose
// If-None-Match holds that ETag gets 304 with no body; a missing file (or
// ref) gets GitHub's JSON 404.
// https://docs.github.com/rest/repos/contents#get-repository-content
// https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
func (s *Server) getContents(w http.ResponseWriter, r *http.Request, _ caller) {
	k := contentKey{strings.ToLower(r.PathValue("owner")), strings.ToLower(r.PathValue("repo")), r.PathValue("path")}
	ref := r.URL.Query().Get("ref")
	s.mu.Lock()
	data, ok := s.contents[k][ref]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found", docContents)
		return
	}
	sha := BlobSHA(data)
	sum := sha256.Sum256([]byte(sha + "\x00" + ref))
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	for _, t := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == strings.TrimPrefix(etag, "W/") {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 60 {
		b.WriteString(enc[:60] + "\n")
		enc = enc[60:]
	}
	b.WriteString(enc + "\n")
	writeJSON(w, http.StatusOK, map[string]any{
		"type": "file", "encoding": "base64", "size": len(data), "name": path.Base(k.path), "path": k.path,
		"content": b.String(), "sha": sha,
		"url": s.apiURL("/repos/%s/%s/contents/%s", k.owner, k.repo, k.path),
	})
}
