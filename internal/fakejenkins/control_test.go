package fakejenkins

import (
	"net/http"
	"strings"
	"testing"
)

// POST /queue/cancelItem answers 204 for a waiting item (which then shows
// cancelled) and 404 once it has left the queue; GET is 405. POST
// <build>/stop answers 302 and the build ends ABORTED; consoleText serves
// the log as text/plain.
func TestQueueCancelBuildStopAndConsole(t *testing.T) {
	s := New(Options{User: user, Token: token})
	defer s.Close()
	s.HoldQueue("a", true)
	s.SetConsole("b", "line 1\nline 2\n")
	c := newClient(t, s, token)

	c.do(http.MethodPost, "job/a/build", nil, nil)
	if resp, _ := c.do(http.MethodGet, "queue/cancelItem?id=1", nil, nil); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET cancelItem: %d, want 405", resp.StatusCode)
	}
	var it queueItemDoc
	c.json("queue/item/1/api/json", &it)
	if it.Class != "hudson.model.Queue$WaitingItem" {
		t.Fatalf("held item left the queue: %+v", it)
	}
	if resp, b := c.do(http.MethodPost, "queue/cancelItem?id=1", nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("cancelItem: %d %s", resp.StatusCode, b)
	}
	c.json("queue/item/1/api/json", &it)
	if !it.Cancelled || it.Executable != nil {
		t.Errorf("cancelled item: %+v", it)
	}
	resp, b := c.do(http.MethodPost, "queue/cancelItem?id=1", nil, nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "Provided id (1) not found") {
		t.Errorf("cancel again: %d %s", resp.StatusCode, b)
	}
	if resp, _ := c.do(http.MethodPost, "queue/cancelItem?id=x", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("cancel id=x: %d, want 404", resp.StatusCode)
	}
	if got := s.Cancelled(); len(got) != 1 || got[0] != 1 {
		t.Errorf("Cancelled() = %v", got)
	}

	s.HoldBuilds("b", true)
	c.do(http.MethodPost, "job/b/build", nil, nil)
	c.json("queue/item/2/api/json", &it)
	if !s.Building("b", 1) {
		t.Fatal("held build is not running")
	}
	resp, _ = c.do(http.MethodPost, "job/b/1/stop", nil, nil)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != s.URL()+"job/b/1/" {
		t.Errorf("stop: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var bd buildDoc
	c.json("job/b/1/api/json", &bd)
	if bd.Building || bd.Result == nil || *bd.Result != Aborted {
		t.Errorf("stopped build: %+v", bd)
	}
	c.do(http.MethodPost, "job/b/1/stop", nil, nil) // a finished build: still 302, nothing stopped
	if got := s.Stopped(); len(got) != 1 || got[0] != "b#1" {
		t.Errorf("Stopped() = %v", got)
	}
	if resp, _ := c.do(http.MethodPost, "job/b/9/stop", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("stop of no build: %d, want 404", resp.StatusCode)
	}

	resp, b = c.do(http.MethodGet, "job/b/1/consoleText", nil, nil)
	if resp.StatusCode != http.StatusOK || string(b) != "line 1\nline 2\n" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("consoleText: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	if resp, _ := c.do(http.MethodGet, "job/b/2/consoleText", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("consoleText of no build: %d, want 404", resp.StatusCode)
	}
}
