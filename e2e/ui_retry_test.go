package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestUIRetry: the Retry button of a failed action runs it again and comes
// back to the delivery, which then shows the second attempt.
func TestUIRetry(t *testing.T) {
	a := startAdmin(t, always(http.StatusInternalServerError))
	a.push(t, "retry-1", "feature/x")
	if s := a.settled(t, "retry-1"); s != "failed" {
		t.Fatalf("retry-1 is %s", s)
	}
	c := uiClient(t)
	csrf := login(t, c, a.srv.URL)
	d := get(t, c, a.srv.URL+"/ui/deliveries/retry-1")
	m := regexp.MustCompile(`action="/ui/actions/([0-9a-f]{20})/retry"`).FindStringSubmatch(d.body)
	if m == nil {
		t.Fatalf("no Retry button on a failed action:\n%s", d.body)
	}
	p := post(t, c, a.srv.URL+"/ui/actions/"+m[1]+"/retry", url.Values{"csrf": {csrf}, "delivery": {"retry-1"}}, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/ui/deliveries/retry-1?done=retried" {
		t.Fatalf("retry: %d %s", p.status, p.header.Get("Location"))
	}
	eventually(t, 60*time.Second, "the second attempt on the page", func() bool {
		d = get(t, c, a.srv.URL+"/ui/deliveries/retry-1?done=retried")
		return strings.Contains(d.body, `<td data-label="#">2</td>`) && a.status(t, "retry-1") == "failed"
	})
	if !strings.Contains(d.body, "Retry queued.") {
		t.Error("no notice that the retry was queued")
	}
	if a.hookHit.Load() != 2 {
		t.Errorf("the endpoint was called %d times, want 2", a.hookHit.Load())
	}
}
