package fakegithub

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRateLimitAndFailKnobs(t *testing.T) {
	f := newFixture(t, nil)
	auth := "token " + f.token(t, "12")
	path := "/repos/acme/widgets/statuses/abc"
	u := strings.TrimSuffix(f.s.URL(), "/") + path
	body := map[string]string{"state": "success"}
	reset := time.Unix(time.Now().Add(10*time.Minute).Unix(), 0)

	f.s.RateLimit(path, 2, http.StatusForbidden, reset)
	for i := range 2 {
		resp, b := do(t, "POST", u, auth, body)
		e := ghError(t, b)
		if resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" ||
			resp.Header.Get("X-RateLimit-Reset") != strconv.FormatInt(reset.Unix(), 10) ||
			e.Message != "API rate limit exceeded for installation ID 12." {
			t.Fatalf("call %d: %d %v %s", i, resp.StatusCode, resp.Header, b)
		}
	}
	resp, b := do(t, "POST", u, auth, body)
	if resp.StatusCode != 201 || resp.Header.Get("X-RateLimit-Remaining") == "0" {
		t.Fatalf("third call: %d %s, want the limit spent after 2", resp.StatusCode, b)
	}

	f.s.SecondaryRateLimit("POST "+path, 1, http.StatusTooManyRequests, 1500*time.Millisecond)
	resp, b = do(t, "GET", u, auth, nil) // another method: not matched, and not routed
	if resp.StatusCode != 404 {
		t.Fatalf("GET consumed the POST knob: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "POST", u, auth, body)
	e := ghError(t, b)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" ||
		!strings.HasPrefix(e.Message, "You have exceeded a secondary rate limit") || !strings.HasSuffix(e.DocumentationURL, "secondary-rate-limits") {
		t.Fatalf("secondary: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}

	f.s.Fail(path, 1, http.StatusBadGateway, "Server Error")
	if resp, b = do(t, "POST", u, auth, body); resp.StatusCode != 502 || ghError(t, b).Message != "Server Error" {
		t.Fatalf("fail: %d %s", resp.StatusCode, b)
	}
	f.s.Fail(path, 1, http.StatusBadGateway, "Server Error")
	if resp, _ = do(t, "POST", u, "token ghs_wrong", body); resp.StatusCode != 401 {
		t.Fatalf("unauthenticated call got %d; credentials are checked before knobs", resp.StatusCode)
	}
	if n := len(f.s.Statuses("acme", "widgets", "abc")); n != 1 {
		t.Errorf("%d statuses, want 1: refused calls have no effect", n)
	}
	if n := f.s.Count("POST " + path); n != 6 {
		t.Errorf("Count = %d, want 6", n)
	}
}

// TestDelayTakesEffectThenHolds: the comment is stored, the client gives up
// waiting, and Close does not hang on the held answer.
func TestDelayTakesEffectThenHolds(t *testing.T) {
	f := newFixture(t, nil)
	auth := "token " + f.token(t, "12")
	u := f.s.URL() + "repos/acme/widgets/issues/3/comments"
	f.s.Delay("POST /repos/acme/widgets/issues/3/comments", 1, 0)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	posted := func() bool { return len(f.s.Comments("acme", "widgets", 3)) == 1 }
	go func() {
		_ = f.s.Wait(ctx, posted)
		cancel() // the client times out after GitHub acted
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", u, strings.NewReader(`{"body":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer (%d) to a held request", resp.StatusCode)
	}
	if !errors.Is(err, context.Canceled) || !posted() {
		t.Fatalf("err %v, comments %v: want a canceled request whose comment exists", err, f.s.Comments("acme", "widgets", 3))
	}

	// Held until Close.
	f.s.Delay("/repos/acme/widgets/issues/3/comments", 1, 0)
	done := make(chan error, 1)
	go func() {
		resp, err := http.Post(u, "application/json", strings.NewReader(`{"body":"x"}`))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// Unauthenticated: answered at once, knob untouched.
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	go func() {
		resp, _ := do(t, "POST", u, auth, `{"body":"held"}`)
		done <- errors.New(resp.Status)
	}()
	wctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	if err := f.s.Wait(wctx, func() bool { return len(f.s.Comments("acme", "widgets", 3)) == 2 }); err != nil {
		t.Fatal(err)
	}
	f.s.Close()
	if err := <-done; err.Error() != "201 Created" {
		t.Fatalf("held answer after Close: %v", err)
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.s.Wait(ctx, func() bool { return false }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v", err)
	}
}
