package fakegithub

import (
	"net/http"
	"strconv"
	"strings"
)

// routes maps GitHub's REST paths to the fake's handlers. Anything else is
// GitHub's JSON 404.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /app/installations/{installation_id}/access_tokens", s.app(s.createToken))
	mux.HandleFunc("GET /app/hook/deliveries", s.app(s.listDeliveries))
	mux.HandleFunc("POST /app/hook/deliveries/{delivery_id}/attempts", s.app(s.redeliver))
	mux.HandleFunc("POST /repos/{owner}/{repo}/statuses/{sha}", s.installation(s.checked(schemaCreateStatus, docStatuses, s.createStatus)))
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", s.installation(s.listComments))
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", s.installation(s.checked(schemaCreateComment, docCreateComment, s.createComment)))
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/labels", s.installation(s.listLabels))
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/labels", s.installation(s.addLabels))
	mux.HandleFunc("DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}", s.installation(s.removeLabel))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{number}/files", s.installation(s.listFiles))
	s.conversationRoutes(mux)
	s.appRoutes(mux)
	mux.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", s.installation(s.getContents))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found", docREST)
	})
	return mux
}

// issueOf reads {owner}/{repo}/{number}; false after answering 404.
func issueOf(w http.ResponseWriter, r *http.Request, doc string) (issueKey, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n <= 0 {
		writeError(w, http.StatusNotFound, "Not Found", doc)
		return issueKey{}, false
	}
	return newIssueKey(r.PathValue("owner"), r.PathValue("repo"), n), true
}

func user(login string) map[string]any {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{"login": login, "type": typ}
}
