// Package fakejenkins is an in-process fake Jenkins controller for tests,
// served over loopback by net/http/httptest. It follows Jenkins' Remote
// Access API (https://www.jenkins.io/doc/book/using/remote-access-api/):
//
//   - jobs in folders at /job/a/job/b/; POST .../build or
//     .../buildWithParameters answers 201 Created with
//     Location: <root>/queue/item/N/;
//   - buildWithParameters on a job without parameters answers 400
//     ("... is not parameterized"), and parameters a job does not declare are
//     dropped from its builds, as Jenkins does since SECURITY-170;
//   - HTTP Basic auth: none at all answers 403 with an HTML page
//     ("Authentication required"), a wrong token or password 401 ("Invalid
//     password/token for user: NAME"), as Jenkins' BasicHeaderProcessor does;
//   - with CSRF protection on, GET /crumbIssuer/api/json issues a crumb bound
//     to a new session cookie, and a POST authenticated with a password needs
//     both (403 "No valid crumb was included in the request" otherwise);
//     requests authenticated with an API token need no crumb; with CSRF off
//     the crumb issuer answers 404;
//   - GET /queue/item/N/api/json: a waiting item that, after Options.QueueSteps
//     polls, has left the queue with executable {number, url}, or with
//     cancelled: true; 404 once ExpireQueueItem has made Jenkins forget it
//     (Jenkins does after about 5 minutes); GET /queue/api/json lists the
//     waiting items;
//   - GET /job/.../N/api/json: building true for Options.BuildSteps polls,
//     then false with result (SUCCESS unless set per job);
//     GET /job/.../api/json lists the job's builds, newest first, with their
//     parameters.
//
// SetUnavailable makes every request answer 503, as a controller that is
// restarting does. Every trigger is recorded for assertions. A Server is safe
// for concurrent use.
package fakejenkins

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http/httptest"
	"sort"
	"sync"
)

// Options configure a Server.
type Options struct {
	// User and Token are the credentials of an API-token user; User and
	// Password those of a password user. With User empty, anonymous requests
	// are allowed; otherwise a request without credentials is refused.
	User     string
	Token    string
	Password string
	// CSRF turns the crumb issuer on.
	CSRF bool
	// Jobs are the jobs that exist, by path ("a/b/c"). Nil means every path
	// is a job that takes any parameters.
	Jobs map[string]Job
	// QueueSteps is how many polls of a queue item see it waiting before it
	// leaves the queue; 0 means the first poll already sees the build.
	QueueSteps int
	// BuildSteps is how many polls of a build see it building.
	BuildSteps int
}

// Job declares one job.
type Job struct {
	// Parameters are the parameter names the job declares; a job without
	// any is not parameterised.
	Parameters []string
}

// Trigger is one accepted build request.
type Trigger struct {
	Job        string            // path, "a/b/c"
	Parameters map[string]string // as sent, before Jenkins drops undeclared ones
	QueueID    int
	Auth       string // "token", "password" or "anonymous"
}

// Build results Jenkins reports.
const (
	Success  = "SUCCESS"
	Unstable = "UNSTABLE"
	Failure  = "FAILURE"
	NotBuilt = "NOT_BUILT"
	Aborted  = "ABORTED"
)

// Server is a running fake Jenkins.
type Server struct {
	opts Options
	srv  *httptest.Server

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced after every request
	unavailable bool
	hang        chan struct{} // non-nil while SetHangTriggers is on; closed when turned off
	requests    int
	triggers    []Trigger
	sessions    map[string]string // session ID -> crumb
	queue       map[int]*queueItem
	nextQueueID int
	builds      map[string][]*build // by job path, oldest first
	results     map[string]string   // by job path
	cancel      map[string]bool     // by job path
	control     control             // queue cancel, build stop, console (control.go)
}

type queueItem struct {
	id     int
	job    string
	params map[string]string // as kept
	polls  int
	left   bool
	build  *build // set when the item left the queue for an executor
	cancel bool
}

type build struct {
	number  int
	params  map[string]string
	polls   int
	result  string
	stopped bool // POST .../stop: finished ABORTED
}

// New starts a Server on a loopback port. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		opts:        opts,
		changed:     make(chan struct{}),
		sessions:    map[string]string{},
		queue:       map[int]*queueItem{},
		nextQueueID: 1,
		builds:      map[string][]*build{},
		results:     map[string]string{},
		cancel:      map[string]bool{},
	}
	s.srv = httptest.NewServer(s)
	return s
}

// URL is the controller's root URL, ending in "/".
func (s *Server) URL() string { return s.srv.URL + "/" }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Wait blocks until cond holds, checking it again after every request the
// server answers, or until ctx is done. cond may call the Server's methods:
//
//	err := s.Wait(ctx, func() bool { return len(s.Triggers()) >= 2 })
func (s *Server) Wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notify wakes every Wait. The caller holds s.mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetUnavailable makes every request answer 503 (on) or be served again
// (off).
func (s *Server) SetUnavailable(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unavailable = on
}

// SetHangTriggers makes a build trigger queue its build and then hold the
// answer (on) until it is turned off or the client gives up: the worst case
// for a client, whose request has taken effect with no word of it. Turning
// it off releases the held answers.
func (s *Server) SetHangTriggers(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case on && s.hang == nil:
		s.hang = make(chan struct{})
	case !on && s.hang != nil:
		close(s.hang)
		s.hang = nil
	}
}

// SetResult sets the result that builds of job finish with from now on.
func (s *Server) SetResult(job, result string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results[job] = result
}

// SetCancelInQueue makes items of job queued from now on be cancelled in
// the queue instead of starting.
func (s *Server) SetCancelInQueue(job string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancel[job] = on
}

// ExpireQueueItem does to queue item id what Jenkins does about five
// minutes after an item leaves the queue: it forgets it, and
// queue/item/ID/api/json answers 404 from then on. An item still waiting
// first leaves the queue (for an executor, or cancelled when
// SetCancelInQueue says so), as if Jenkins had moved on while nobody
// looked. It reports whether there was such an item.
func (s *Server) ExpireQueueItem(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.queue[id]
	if !ok {
		return false
	}
	if !it.left {
		s.leave(it)
	}
	delete(s.queue, id)
	s.notify()
	return true
}

// Triggers returns every accepted build request so far, in order.
func (s *Server) Triggers() []Trigger {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Trigger, len(s.triggers))
	for i, t := range s.triggers {
		t.Parameters = copyMap(t.Parameters)
		out[i] = t
	}
	return out
}

// Requests is how many requests the server has received, of any kind.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// jobExists reports whether path is a job, and its declared parameters (nil:
// any parameter is kept).
func (s *Server) job(path string) (params []string, parameterised, ok bool) {
	if s.opts.Jobs == nil {
		return nil, true, true
	}
	j, ok := s.opts.Jobs[path]
	if !ok {
		return nil, false, false
	}
	return j.Parameters, len(j.Parameters) > 0, true
}

// newSession issues a session ID and its crumb. The caller holds s.mu.
func (s *Server) newSession() (id, crumb string) {
	id, crumb = randomHex(16), randomHex(32)
	s.sessions[id] = crumb
	return id, crumb
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// keep returns the parameters a job keeps: the declared ones, or all of
// them for a job declared by no Options.Jobs.
func keep(sent map[string]string, declared []string, any bool) map[string]string {
	if any {
		return copyMap(sent)
	}
	out := map[string]string{}
	for _, name := range declared {
		if v, ok := sent[name]; ok {
			out[name] = v
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
