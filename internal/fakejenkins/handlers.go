package fakejenkins

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// sessionCookie is the session cookie's name; Jenkins (on Jetty) names it
// JSESSIONID.<instance hash>.
const sessionCookie = "JSESSIONID.fakejenkins"

// crumbField is the header that carries the crumb (DefaultCrumbIssuer's).
const crumbField = "Jenkins-Crumb"

// ServeHTTP serves the Remote Access API subset described in the package
// comment. Requests are served one at a time: this is a fake, not a
// benchmark target.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if hold := s.serve(w, r); hold != nil {
		// The build is queued; the answer waits (unsent: net/http writes
		// the status line when the handler returns) until SetHangTriggers
		// turns off or the client goes away.
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}
}

// serve answers r under the lock and returns, for a trigger made while
// SetHangTriggers is on, what to wait on before the answer goes out.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notify() // runs before the unlock
	before := len(s.triggers)
	s.serveLocked(w, r)
	if len(s.triggers) > before {
		return s.hang
	}
	return nil
}

func (s *Server) serveLocked(w http.ResponseWriter, r *http.Request) {
	s.requests++
	if s.unavailable {
		jettyError(w, r, http.StatusServiceUnavailable, "Service Unavailable")
		return
	}
	auth, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	path := r.URL.EscapedPath()
	switch {
	case path == "/crumbIssuer/api/json":
		s.serveCrumb(w, r)
	case path == "/queue/api/json":
		s.serveQueue(w)
	case path == "/queue/cancelItem":
		s.serveCancelItem(w, r)
	case strings.HasPrefix(path, "/queue/item/"):
		s.serveQueueItem(w, r, strings.TrimPrefix(path, "/queue/item/"))
	case strings.HasPrefix(path, "/job/"):
		s.serveJob(w, r, path, auth)
	case s.serveMore(w, r, path, auth):
	default:
		jettyError(w, r, http.StatusNotFound, "Not Found")
	}
}

// authenticate checks HTTP Basic credentials and says how the request is
// authenticated: "token", "password" or "anonymous".
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	user, secret, ok := r.BasicAuth()
	if !ok {
		if s.opts.User == "" {
			return "anonymous", true
		}
		// Jenkins answers an anonymous request without Overall/Read with
		// 403 and a page that sends a browser to the login form.
		w.Header().Set("X-You-Are-Authenticated-As", "anonymous")
		w.Header().Set("X-Required-Permission", "hudson.model.Hudson.Read")
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<html><head><meta http-equiv='refresh' content='1;url=/login?from=%s'/><script>window.location.replace('/login?from=%s');</script></head><body style='background-color:white; color:white;'>\n\nAuthentication required\n<!--\n-->\n\n</body></html>",
			url.QueryEscape(r.URL.Path), url.QueryEscape(r.URL.Path))
		return "", false
	}
	if user == s.opts.User {
		if s.opts.Token != "" && equal(secret, s.opts.Token) {
			return "token", true
		}
		if s.opts.Password != "" && equal(secret, s.opts.Password) {
			return "password", true
		}
	}
	jettyError(w, r, http.StatusUnauthorized, "Invalid password/token for user: "+user)
	return "", false
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// serveCrumb issues a crumb bound to a new session.
func (s *Server) serveCrumb(w http.ResponseWriter, r *http.Request) {
	if !s.opts.CSRF {
		jettyError(w, r, http.StatusNotFound, "Not Found")
		return
	}
	id, crumb := s.newSession()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true})
	writeJSON(w, map[string]any{
		"_class":            "hudson.security.csrf.DefaultCrumbIssuer",
		"crumb":             crumb,
		"crumbRequestField": crumbField,
	})
}

// validCrumb reports whether r carries a crumb issued for its session.
func (s *Server) validCrumb(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	want, ok := s.sessions[c.Value]
	return ok && equal(r.Header.Get(crumbField), want)
}

// serveJob serves /job/a/job/b/... : triggers, the job and its builds.
func (s *Server) serveJob(w http.ResponseWriter, r *http.Request, path, auth string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var names []string
	i := 0
	for ; i+1 < len(segs) && segs[i] == "job"; i += 2 {
		name, err := url.PathUnescape(segs[i+1])
		if err != nil || name == "" || strings.Contains(name, "/") {
			jettyError(w, r, http.StatusNotFound, "Not Found")
			return
		}
		names = append(names, name)
	}
	job, rest := strings.Join(names, "/"), segs[i:]
	declared, parameterised, exists := s.job(job)
	if !exists {
		jettyError(w, r, http.StatusNotFound, "Not Found")
		return
	}
	switch {
	case len(rest) == 1 && (rest[0] == "build" || rest[0] == "buildWithParameters"):
		if r.Method != http.MethodPost {
			jettyError(w, r, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		if auth == "password" && s.opts.CSRF && !s.validCrumb(r) {
			jettyError(w, r, http.StatusForbidden, "No valid crumb was included in the request")
			return
		}
		withParams := rest[0] == "buildWithParameters"
		if withParams && !parameterised {
			jettyError(w, r, http.StatusBadRequest, job+" is not parameterized")
			return
		}
		s.trigger(w, r, job, auth, withParams, declared)
	case len(rest) == 2 && rest[0] == "api" && rest[1] == "json":
		s.serveJobJSON(w, job)
	case len(rest) == 2 && (rest[1] == "stop" || rest[1] == "consoleText"):
		s.serveBuildControl(w, r, job, rest[0], rest[1])
	case len(rest) == 3 && rest[1] == "api" && rest[2] == "json":
		n, err := strconv.Atoi(rest[0])
		if err != nil {
			jettyError(w, r, http.StatusNotFound, "Not Found")
			return
		}
		s.serveBuild(w, r, job, n)
	default:
		jettyError(w, r, http.StatusNotFound, "Not Found")
	}
}

// trigger queues a build and answers 201 with the queue item's URL.
func (s *Server) trigger(w http.ResponseWriter, r *http.Request, job, auth string, withParams bool, declared []string) {
	sent := map[string]string{}
	if withParams {
		if err := r.ParseForm(); err != nil {
			jettyError(w, r, http.StatusBadRequest, "Bad Request")
			return
		}
		for k, v := range r.Form {
			if len(v) > 0 {
				sent[k] = v[0]
			}
		}
	}
	id := s.nextQueueID
	s.nextQueueID++
	s.queue[id] = &queueItem{
		id:     id,
		job:    job,
		params: keep(sent, declared, s.opts.Jobs == nil),
		cancel: s.cancel[job],
	}
	s.triggers = append(s.triggers, Trigger{Job: job, Parameters: sent, QueueID: id, Auth: auth})
	w.Header().Set("Location", s.URL()+"queue/item/"+strconv.Itoa(id)+"/")
	w.WriteHeader(http.StatusCreated)
}

// serveQueue lists the items still waiting.
func (s *Server) serveQueue(w http.ResponseWriter) {
	items := []map[string]any{}
	for id := 1; id < s.nextQueueID; id++ {
		if it, ok := s.queue[id]; ok && !it.left {
			items = append(items, s.queueItemJSON(it))
		}
	}
	writeJSON(w, map[string]any{"_class": "hudson.model.Queue", "items": items})
}

// serveQueueItem serves queue/item/N/api/json; each poll moves the item
// one step towards leaving the queue.
func (s *Server) serveQueueItem(w http.ResponseWriter, r *http.Request, rest string) {
	idStr, tail, _ := strings.Cut(rest, "/")
	id, err := strconv.Atoi(idStr)
	it, ok := s.queue[id]
	if err != nil || !ok || tail != "api/json" {
		jettyError(w, r, http.StatusNotFound, "Not Found")
		return
	}
	if !it.left {
		it.polls++
		if it.polls > s.opts.QueueSteps && !s.control.holdQueue[it.job] {
			s.leave(it)
		}
	}
	writeJSON(w, s.queueItemJSON(it))
}

// leave takes it out of the queue: cancelled, or started as a build. The
// caller holds s.mu.
func (s *Server) leave(it *queueItem) {
	it.left = true
	if it.cancel {
		return
	}
	result := s.results[it.job]
	if result == "" {
		result = Success
	}
	b := &build{number: len(s.builds[it.job]) + 1, params: it.params, result: result}
	s.builds[it.job] = append(s.builds[it.job], b)
	it.build = b
}

// queueItemJSON renders a queue item as Jenkins does: a WaitingItem, or a
// LeftItem with executable (or cancelled).
func (s *Server) queueItemJSON(it *queueItem) map[string]any {
	m := map[string]any{
		"id":      it.id,
		"url":     "queue/item/" + strconv.Itoa(it.id) + "/",
		"task":    map[string]any{"_class": "hudson.model.FreeStyleProject", "name": lastName(it.job), "url": s.jobURL(it.job)},
		"actions": actionsJSON(it.params),
	}
	switch {
	case !it.left:
		m["_class"] = "hudson.model.Queue$WaitingItem"
		m["why"] = "Waiting for next available executor"
	case it.build == nil:
		m["_class"] = "hudson.model.Queue$LeftItem"
		m["cancelled"] = true
		m["executable"] = nil
	default:
		m["_class"] = "hudson.model.Queue$LeftItem"
		m["cancelled"] = false
		m["executable"] = map[string]any{
			"_class": "hudson.model.FreeStyleBuild",
			"number": it.build.number,
			"url":    s.buildURL(it.job, it.build.number),
		}
	}
	return m
}

// serveJobJSON serves a job with its builds, newest first.
func (s *Server) serveJobJSON(w http.ResponseWriter, job string) {
	bs := s.builds[job]
	builds := make([]map[string]any, 0, len(bs))
	for i := len(bs) - 1; i >= 0; i-- {
		builds = append(builds, map[string]any{
			"_class":  "hudson.model.FreeStyleBuild",
			"number":  bs[i].number,
			"url":     s.buildURL(job, bs[i].number),
			"actions": actionsJSON(bs[i].params),
		})
	}
	writeJSON(w, map[string]any{
		"_class":          "hudson.model.FreeStyleProject",
		"name":            lastName(job),
		"fullName":        job,
		"url":             s.jobURL(job),
		"builds":          builds,
		"nextBuildNumber": len(bs) + 1,
		"property":        s.jobProperty(job),
	})
}

// serveBuild serves job/.../N/api/json; each poll moves the build one step
// towards its result.
func (s *Server) serveBuild(w http.ResponseWriter, r *http.Request, job string, n int) {
	bs := s.builds[job]
	if n < 1 || n > len(bs) {
		jettyError(w, r, http.StatusNotFound, "Not Found")
		return
	}
	b := bs[n-1]
	b.polls++
	building := (b.polls <= s.opts.BuildSteps || s.control.holdBuilds[job]) && !b.stopped
	var result any
	if !building {
		result = b.result
	}
	writeJSON(w, map[string]any{
		"_class":   "hudson.model.FreeStyleBuild",
		"number":   b.number,
		"url":      s.buildURL(job, b.number),
		"building": building,
		"result":   result,
		"actions":  actionsJSON(b.params),
	})
}

func (s *Server) jobURL(job string) string {
	var b strings.Builder
	b.WriteString(s.srv.URL)
	for _, name := range strings.Split(job, "/") {
		b.WriteString("/job/")
		b.WriteString(url.PathEscape(name))
	}
	b.WriteString("/")
	return b.String()
}

func (s *Server) buildURL(job string, n int) string {
	return s.jobURL(job) + strconv.Itoa(n) + "/"
}

func lastName(job string) string { return job[strings.LastIndex(job, "/")+1:] }

// actionsJSON renders the actions of a queue item or build: a
// ParametersAction when there are parameters, and the cause.
func actionsJSON(params map[string]string) []map[string]any {
	actions := []map[string]any{}
	if len(params) > 0 {
		ps := make([]map[string]any, 0, len(params))
		for _, k := range sortedKeys(params) {
			ps = append(ps, map[string]any{"_class": "hudson.model.StringParameterValue", "name": k, "value": params[k]})
		}
		actions = append(actions, map[string]any{"_class": "hudson.model.ParametersAction", "parameters": ps})
	}
	return append(actions, map[string]any{
		"_class": "hudson.model.CauseAction",
		"causes": []map[string]any{{"_class": "hudson.model.Cause$RemoteCause", "shortDescription": "Started by remote API"}},
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// jettyError answers as Jenkins' servlet container does for an error: an
// HTML page whose title and heading carry the message.
func jettyError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	w.Header().Set("Content-Type", "text/html;charset=iso-8859-1")
	w.Header().Set("Cache-Control", "must-revalidate,no-cache,no-store")
	w.WriteHeader(status)
	m, uri := html.EscapeString(msg), html.EscapeString(r.URL.Path)
	fmt.Fprintf(w, `<html>
<head>
<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>
<title>Error %d %s</title>
</head>
<body><h2>HTTP ERROR %d %s</h2>
<table>
<tr><th>URI:</th><td>%s</td></tr>
<tr><th>STATUS:</th><td>%d</td></tr>
<tr><th>MESSAGE:</th><td>%s</td></tr>
<tr><th>SERVLET:</th><td>Stapler</td></tr>
</table>
<hr/><a href="https://eclipse.org/jetty">Powered by Jetty:// 10.0.20</a><hr/>
</body>
</html>
`, status, m, status, m, uri, status, m)
}
