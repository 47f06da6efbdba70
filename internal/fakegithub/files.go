package fakegithub

import (
	"net/http"
	"slices"
)

const (
	docListPRFiles = "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files"
	// maxPRFilesTotal is GitHub's cap on the files it lists for a pull request.
	maxPRFilesTotal = 3000
)

// File is one changed file of a pull request.
type File struct {
	Filename string
	// Status is added, removed, modified, renamed, copied, changed or
	// unchanged; default modified.
	Status string
	// PreviousFilename is set for a rename.
	PreviousFilename string
}

// SetPullRequestFiles sets the changed files of pull request number.
func (s *Server) SetPullRequestFiles(owner, repo string, number int, files []File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[newIssueKey(owner, repo, number)] = slices.Clone(files)
}

// listFiles answers GET /repos/{owner}/{repo}/pulls/{number}/files,
// page-paged; like GitHub it lists at most 3,000 files.
// https://docs.github.com/rest/pulls/pulls#list-pull-requests-files
func (s *Server) listFiles(w http.ResponseWriter, r *http.Request, _ caller) {
	k, ok := issueOf(w, r, docListPRFiles)
	if !ok {
		return
	}
	s.mu.Lock()
	all := s.files[k]
	s.mu.Unlock()
	all = all[:min(len(all), maxPRFilesTotal)]
	from, to := pageBounds(w, r, len(all))
	out := make([]map[string]any, 0, to-from)
	for _, f := range all[from:to] {
		st := f.Status
		if st == "" {
			st = "modified"
		}
		o := map[string]any{
			"sha": "0000000000000000000000000000000000000000", "filename": f.Filename, "status": st,
			"additions": 1, "deletions": 0, "changes": 1,
			"contents_url": s.apiURL("/repos/%s/%s/contents/%s", k.owner, k.repo, f.Filename),
		}
		if f.PreviousFilename != "" {
			o["previous_filename"] = f.PreviousFilename
		}
		out = append(out, o)
	}
	writeJSON(w, http.StatusOK, out)
}
