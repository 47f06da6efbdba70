package fakejenkins

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	user  = "bot"
	token = "tok-123"
	pass  = "pw-456"
)

// client calls a Server as an API-token (or password) user.
type client struct {
	t      *testing.T
	s      *Server
	secret string
	http   *http.Client
}

func newClient(t *testing.T, s *Server, secret string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, s: s, secret: secret, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *client) do(method, path string, form url.Values, header http.Header) (*http.Response, []byte) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.s.URL()+strings.TrimPrefix(path, "/"), body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.secret != "" {
		req.SetBasicAuth(user, c.secret)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (c *client) json(path string, v any) {
	c.t.Helper()
	resp, b := c.do(http.MethodGet, path, nil, nil)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
}

type queueItemDoc struct {
	Class      string `json:"_class"`
	Cancelled  bool   `json:"cancelled"`
	Executable *struct {
		Number int    `json:"number"`
		URL    string `json:"url"`
	} `json:"executable"`
}

type buildDoc struct {
	Building bool    `json:"building"`
	Result   *string `json:"result"`
	Number   int     `json:"number"`
}

func TestQueueItemBecomesABuildWithAResult(t *testing.T) {
	s := New(Options{User: user, Token: token, QueueSteps: 2, BuildSteps: 1})
	defer s.Close()
	s.SetResult("a/b", Failure)
	c := newClient(t, s, token)

	resp, _ := c.do(http.MethodPost, "job/a/job/b/buildWithParameters", url.Values{"SHA": {"abc"}}, nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusCreated || loc != s.URL()+"queue/item/1/" {
		t.Fatalf("trigger: %d Location %q", resp.StatusCode, loc)
	}
	itemPath := strings.TrimPrefix(loc, s.URL()) + "api/json"

	var waiting struct {
		Items []json.RawMessage `json:"items"`
	}
	c.json("queue/api/json", &waiting)
	if len(waiting.Items) != 1 {
		t.Fatalf("queue lists %d items, want 1", len(waiting.Items))
	}

	var it queueItemDoc
	for i := 0; i < 2; i++ {
		c.json(itemPath, &it)
		if it.Executable != nil || it.Class != "hudson.model.Queue$WaitingItem" {
			t.Fatalf("poll %d: %+v, want still waiting", i+1, it)
		}
	}
	c.json(itemPath, &it)
	if it.Executable == nil || it.Executable.Number != 1 || it.Executable.URL != s.URL()+"job/a/job/b/1/" || it.Cancelled {
		t.Fatalf("poll 3: %+v, want executable build 1", it)
	}
	c.json("queue/api/json", &waiting)
	if len(waiting.Items) != 0 {
		t.Fatalf("queue still lists %d items", len(waiting.Items))
	}

	var b buildDoc
	c.json("job/a/job/b/1/api/json", &b)
	if !b.Building || b.Result != nil {
		t.Fatalf("first poll of the build: %+v, want building", b)
	}
	c.json("job/a/job/b/1/api/json", &b)
	if b.Building || b.Result == nil || *b.Result != Failure {
		t.Fatalf("second poll of the build: %+v, want finished with FAILURE", b)
	}

	var job struct {
		Builds []struct {
			Number  int `json:"number"`
			Actions []struct {
				Parameters []struct{ Name, Value string } `json:"parameters"`
			} `json:"actions"`
		} `json:"builds"`
	}
	c.json("job/a/job/b/api/json", &job)
	if len(job.Builds) != 1 || job.Builds[0].Actions[0].Parameters[0].Value != "abc" {
		t.Fatalf("job builds = %+v", job.Builds)
	}
}

func TestCancelledInQueue(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.SetCancelInQueue("x", true)
	c := newClient(t, s, "")
	resp, _ := c.do(http.MethodPost, "job/x/build", nil, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("trigger: %d", resp.StatusCode)
	}
	var it queueItemDoc
	c.json("queue/item/1/api/json", &it)
	if !it.Cancelled || it.Executable != nil {
		t.Fatalf("item = %+v, want cancelled without executable", it)
	}
	if got := s.Triggers(); len(got) != 1 || got[0].Auth != "anonymous" {
		t.Fatalf("triggers = %+v", got)
	}
}

func TestAnswersLikeJenkins(t *testing.T) {
	s := New(Options{User: user, Token: token, Password: pass, CSRF: true,
		Jobs: map[string]Job{"plain": {}, "p": {Parameters: []string{"KEEP"}}}})
	defer s.Close()
	tests := map[string]struct {
		secret, method, path string
		form                 url.Values
		status               int
		contains             string
	}{
		"anonymous":               {"", http.MethodPost, "job/plain/build", nil, 403, "Authentication required"},
		"wrong token":             {"nope", http.MethodPost, "job/plain/build", nil, 401, "Invalid password/token for user: bot"},
		"unknown job":             {token, http.MethodPost, "job/none/build", nil, 404, "Not Found"},
		"GET on build":            {token, http.MethodGet, "job/plain/build", nil, 405, "Method Not Allowed"},
		"parameters on plain job": {token, http.MethodPost, "job/plain/buildWithParameters", url.Values{"A": {"1"}}, 400, "plain is not parameterized"},
		"password without crumb":  {pass, http.MethodPost, "job/plain/build", nil, 403, "No valid crumb was included in the request"},
		"token needs no crumb":    {token, http.MethodPost, "job/plain/build", nil, 201, ""},
		"unknown queue item":      {token, http.MethodGet, "queue/item/99/api/json", nil, 404, ""},
		"traversal is not a job":  {token, http.MethodPost, "job/%2E%2E%2Fx/build", nil, 404, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := newClient(t, s, tc.secret).do(tc.method, tc.path, tc.form, nil)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.contains) {
				t.Fatalf("%s %s: %d %q, want %d with %q", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.contains)
			}
		})
	}

	// Undeclared parameters are recorded as sent but dropped from the build.
	c := newClient(t, s, token)
	c.do(http.MethodPost, "job/p/buildWithParameters", url.Values{"KEEP": {"1"}, "DROP": {"2"}}, nil)
	var it struct {
		Actions []struct {
			Parameters []struct{ Name, Value string } `json:"parameters"`
		} `json:"actions"`
	}
	trig := s.Triggers()
	last := trig[len(trig)-1]
	if last.Parameters["DROP"] != "2" {
		t.Fatalf("trigger parameters = %v, want both as sent", last.Parameters)
	}
	c.json("queue/item/"+itoa(last.QueueID)+"/api/json", &it)
	if ps := it.Actions[0].Parameters; len(ps) != 1 || ps[0].Name != "KEEP" {
		t.Fatalf("kept parameters = %+v, want only KEEP", ps)
	}
}

func TestCrumbWithSession(t *testing.T) {
	s := New(Options{User: user, Password: pass, CSRF: true})
	defer s.Close()
	c := newClient(t, s, pass)
	var crumb struct{ Crumb, CrumbRequestField string }
	c.json("crumbIssuer/api/json", &crumb)
	if crumb.CrumbRequestField != "Jenkins-Crumb" || crumb.Crumb == "" {
		t.Fatalf("crumb = %+v", crumb)
	}
	h := http.Header{crumb.CrumbRequestField: {crumb.Crumb}}
	if resp, b := c.do(http.MethodPost, "job/a/build", nil, h); resp.StatusCode != http.StatusCreated {
		t.Fatalf("with crumb and session: %d %s", resp.StatusCode, b)
	}
	// The same crumb without its session cookie is refused.
	other := newClient(t, s, pass)
	if resp, _ := other.do(http.MethodPost, "job/a/build", nil, h); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("crumb without its session: %d, want 403", resp.StatusCode)
	}

	// With CSRF off the crumb issuer is not there.
	off := New(Options{User: user, Password: pass})
	defer off.Close()
	if resp, _ := newClient(t, off, pass).do(http.MethodGet, "crumbIssuer/api/json", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("crumb issuer with CSRF off: %d, want 404", resp.StatusCode)
	}
}

func TestUnavailableIsSafeForConcurrentUse(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func(on bool) { defer wg.Done(); s.SetUnavailable(on) }(i%2 == 0)
		go func() {
			defer wg.Done()
			resp, err := http.Post(s.URL()+"job/a/build", "", nil)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 201 && resp.StatusCode != 503 {
					t.Errorf("status %d, want 201 or 503", resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	s.SetUnavailable(true)
	resp, err := http.Post(s.URL()+"job/a/build", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("while unavailable: %d, want 503", resp.StatusCode)
	}
	if s.Requests() != 5 {
		t.Fatalf("Requests() = %d, want 5", s.Requests())
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestWait(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- s.Wait(ctx, func() bool { return len(s.Triggers()) >= 2 })
	}()
	for i := 0; i < 2; i++ {
		resp, err := http.Post(s.URL()+"job/a/build", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if err := <-done; err != nil {
		t.Fatalf("Wait: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Wait(ctx, func() bool { return false }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context = %v", err)
	}
}

func TestExpireQueueItem(t *testing.T) {
	tests := map[string]struct {
		cancel    bool
		wantBuild bool
	}{
		"waiting item starts, then is forgotten": {wantBuild: true},
		"cancelled item is forgotten":            {cancel: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := New(Options{QueueSteps: 100})
			defer s.Close()
			s.SetCancelInQueue("x", tc.cancel)
			c := newClient(t, s, "")
			if resp, _ := c.do(http.MethodPost, "job/x/build", nil, nil); resp.StatusCode != http.StatusCreated {
				t.Fatalf("trigger: %d", resp.StatusCode)
			}
			if !s.ExpireQueueItem(1) {
				t.Fatal("ExpireQueueItem(1) = false for a queued item")
			}
			if s.ExpireQueueItem(1) || s.ExpireQueueItem(2) {
				t.Fatal("ExpireQueueItem = true for an item Jenkins no longer has")
			}
			if resp, _ := c.do(http.MethodGet, "queue/item/1/api/json", nil, nil); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("forgotten item: %d, want 404", resp.StatusCode)
			}
			var job struct {
				Builds []struct{ Number int } `json:"builds"`
			}
			c.json("job/x/api/json", &job)
			if got := len(job.Builds) == 1; got != tc.wantBuild {
				t.Fatalf("builds = %+v, want a build: %v", job.Builds, tc.wantBuild)
			}
		})
	}
}

// With SetHangTriggers on, a trigger queues its build and holds the answer:
// a client that gives up has queued a build without hearing of it, and the
// fake keeps answering other requests meanwhile. Turning it off releases a
// held answer.
func TestHangTriggers(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.SetHangTriggers(true)

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"job/x/build", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := s.Wait(wctx, func() bool { return len(s.Triggers()) == 1 }); err != nil {
		t.Fatalf("the build was not queued: %v", err)
	}
	// Other requests are served while the answer is held.
	c := newClient(t, s, "")
	var q struct{ Items []any }
	c.json("queue/api/json", &q)
	if len(q.Items) != 1 {
		t.Fatalf("queue holds %d items, want the held trigger's", len(q.Items))
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("held trigger ended with %v, want the client's cancellation", err)
	}

	// A held answer is sent once hanging is turned off.
	answered := make(chan int, 1)
	go func() {
		resp, err := http.Post(s.URL()+"job/x/build", "", nil)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	if err := s.Wait(wctx, func() bool { return len(s.Triggers()) == 2 }); err != nil {
		t.Fatalf("the second build was not queued: %v", err)
	}
	s.SetHangTriggers(false)
	if code := <-answered; code != http.StatusCreated {
		t.Fatalf("released trigger answered %d, want 201", code)
	}
	if resp, _ := c.do(http.MethodPost, "job/x/build", nil, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("trigger after hanging is off: %d", resp.StatusCode)
	}
}
