package fakejenkins

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// control is the state of the calls that act on queued and running builds:
// cancelling a queue item, stopping a build, and reading its console.
type control struct {
	holdQueue  map[string]bool   // by job: items stay waiting until cancelled
	holdBuilds map[string]bool   // by job: builds keep running until stopped
	console    map[string]string // by job: the console text of its builds
	cancelled  []int             // queue items cancelled with cancelItem
	stopped    []string          // "job#N" of builds stopped with stop
}

// HoldQueue keeps items of job queued from now on waiting (on) until they
// are cancelled, whatever Options.QueueSteps says.
func (s *Server) HoldQueue(job string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.control.holdQueue == nil {
		s.control.holdQueue = map[string]bool{}
	}
	s.control.holdQueue[job] = on
}

// HoldBuilds keeps builds of job running (on) until they are stopped.
func (s *Server) HoldBuilds(job string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.control.holdBuilds == nil {
		s.control.holdBuilds = map[string]bool{}
	}
	s.control.holdBuilds[job] = on
}

// SetConsole sets the console text of job's builds; without it a build's
// console is a few lines ending in "Finished: RESULT".
func (s *Server) SetConsole(job, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.control.console == nil {
		s.control.console = map[string]string{}
	}
	s.control.console[job] = text
}

// Cancelled returns the queue item IDs cancelled with POST
// /queue/cancelItem, in order.
func (s *Server) Cancelled() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.control.cancelled...)
}

// Stopped returns the builds stopped with POST .../N/stop, as "job#N".
func (s *Server) Stopped() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.control.stopped...)
}

// Building reports whether build n of job exists and is still running, as
// the next poll would see it (without counting as a poll).
func (s *Server) Building(job string, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	bs := s.builds[job]
	if n < 1 || n > len(bs) {
		return false
	}
	b := bs[n-1]
	return (b.polls < s.opts.BuildSteps || s.control.holdBuilds[job]) && !b.stopped
}

// serveCancelItem answers POST /queue/cancelItem?id=N as Jenkins' Queue.
// doCancelItem does (core 2.x): 204 when the waiting item is cancelled,
// 404 "Provided id (N) not found" when there is no such waiting item (it
// left the queue already, JENKINS-14813). GET is 405: the endpoint is
// @RequirePOST.
// https://javadoc.jenkins.io/hudson/model/Queue.html#doCancelItem(long)
func (s *Server) serveCancelItem(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		jettyError(w, r, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	id, err := strconv.Atoi(r.URL.Query().Get("id"))
	it, ok := s.queue[id]
	if err != nil || !ok || it.left {
		jettyError(w, r, http.StatusNotFound, fmt.Sprintf("Provided id (%s) not found", r.URL.Query().Get("id")))
		return
	}
	it.cancel = true
	s.leave(it)
	s.control.cancelled = append(s.control.cancelled, id)
	w.WriteHeader(http.StatusNoContent)
}

// serveBuildControl answers POST job/.../N/stop as Run.doStop does (the
// build ends ABORTED; the answer is a 302 back to the build, also for a
// build that already finished) and GET job/.../N/consoleText (text/plain,
// the whole log).
// https://www.jenkins.io/doc/book/using/remote-access-api/
func (s *Server) serveBuildControl(w http.ResponseWriter, r *http.Request, job, num, what string) {
	n, err := strconv.Atoi(num)
	bs := s.builds[job]
	if err != nil || n < 1 || n > len(bs) {
		jettyError(w, r, http.StatusNotFound, "Not Found")
		return
	}
	b := bs[n-1]
	switch what {
	case "stop":
		if r.Method != http.MethodPost {
			jettyError(w, r, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		building := (b.polls < s.opts.BuildSteps || s.control.holdBuilds[job]) && !b.stopped
		if building {
			b.stopped, b.result = true, Aborted
			s.control.stopped = append(s.control.stopped, job+"#"+num)
		}
		w.Header().Set("Location", s.buildURL(job, n))
		w.WriteHeader(http.StatusFound)
	case "consoleText":
		if r.Method != http.MethodGet {
			jettyError(w, r, http.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		text, ok := s.control.console[job]
		if !ok {
			text = strings.Join([]string{"Started by remote API", "Building in workspace /var/jenkins_home/workspace/" + lastName(job), "Finished: " + b.result}, "\n") + "\n"
		}
		w.Header().Set("Content-Type", "text/plain;charset=utf-8")
		_, _ = w.Write([]byte(text))
	}
}
