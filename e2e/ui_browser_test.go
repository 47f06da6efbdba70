package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium. Without it the browser test fails
// in CI (CI=true) and skips elsewhere.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed; apt-get install chromium to run the browser test")
	return ""
}

// screenshotDir is where the browser test saves its screenshots:
// $SWITCHBOARD_SCREENSHOTS, else a new directory under the system's
// temporary directory that outlives the test, so that it can be looked at.
func screenshotDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("SWITCHBOARD_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d, err := os.MkdirTemp("", "switchboard-ui-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestBrowser drives the web page in headless Chromium against a real
// server (real wiring, SQLite store, HTTP): log in, see a delivery appear
// without reloading, open it, read why a rule did not match, press Replay
// and see the new delivery; at desktop and at phone width.
func TestBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	// The endpoint fails for one branch, so that the list shows a failed
	// delivery beside the others.
	a := startAdmin(t, func(body []byte) int {
		if bytes.Contains(body, []byte(`"refs/heads/feature/broken"`)) {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	shots := screenshotDir(t)
	t.Logf("screenshots in %s", shots)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("lang", "en-US"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	defer cancel()

	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	eval := func(js string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	waitFor := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	location := func() string {
		t.Helper()
		l, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}

	// Not logged in: the page sends us to the login form. A wrong token is
	// refused there.
	do("open the page", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(a.srv.URL+"/ui/"), chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))
	if l := location(); l != a.srv.URL+"/ui/login" {
		t.Fatalf("not logged in: at %s, want the login form", l)
	}
	do("log in with a wrong token", chromedp.SendKeys(chromedp.CSS(`input[name=token]`), "wrong-token-0123456789"),
		chromedp.Submit(chromedp.CSS(`input[name=token]`)), chromedp.WaitVisible(chromedp.CSS(`.alert`)))
	if got := text(".alert"); !strings.Contains(got, "Wrong token.") {
		t.Fatalf("wrong token: alert %q", got)
	}
	do("log in", chromedp.SendKeys(chromedp.CSS(`input[name=token]`), adminToken),
		chromedp.Submit(chromedp.CSS(`input[name=token]`)), chromedp.WaitVisible(chromedp.CSS(`#rows`)))
	if l := location(); l != a.srv.URL+"/ui/" {
		t.Fatalf("after login at %s", l)
	}
	if eval(`document.cookie.includes("switchboard_session")`) {
		t.Fatal("the session cookie is readable by scripts (not HttpOnly)")
	}

	// Deliveries arrive while the list is open: they appear without a
	// reload (the marker set on this page survives).
	eval(`window.__sameDocument = true`)
	a.push(t, "ui-docs", "docs/typo")
	a.push(t, "ui-broken", "feature/broken")
	a.push(t, "ui-main", "main")
	a.push(t, "ui-feature", "feature/x")
	waitFor("the new deliveries in the list", `document.querySelector('#rows a[href="/ui/deliveries/ui-feature"]') !== null && document.querySelector('#rows a[href="/ui/deliveries/ui-main"]') !== null`)
	for id, want := range map[string]string{"ui-docs": "no_match", "ui-broken": "failed", "ui-main": "succeeded", "ui-feature": "succeeded"} {
		if got := a.settled(t, id); got != want {
			t.Fatalf("%s is %s, want %s", id, got, want)
		}
	}
	waitFor("the list to show every status", `(() => { const t = document.querySelector('#rows').innerText; return (t.match(/succeeded/g) || []).length >= 2 && t.includes("failed") && t.includes("no match"); })()`)
	if !eval(`window.__sameDocument === true`) {
		t.Fatal("the page reloaded to show the deliveries")
	}
	do("screenshot size", chromedp.EmulateViewport(1200, 420))
	shot("deliveries.png")
	do("desktop width", chromedp.EmulateViewport(1280, 800))

	// Open the feature push: build-main did not match, and the page says
	// which condition failed and why, in words.
	do("open the delivery", chromedp.Click(chromedp.CSS(`#rows a[href="/ui/deliveries/ui-feature"]`)), chromedp.WaitVisible(chromedp.CSS(`#rules`)))
	if l := location(); l != a.srv.URL+"/ui/deliveries/ui-feature" {
		t.Fatalf("at %s", l)
	}
	rule := text(`.rule.unmatched`)
	for _, want := range []string{"did not match", "build-main", "failed at branches", "FAILED", "branch is feature/x; wanted main"} {
		if !strings.Contains(rule, want) {
			t.Errorf("the unmatched rule reads %q; want %q in it", rule, want)
		}
	}
	if got := text(`.rule.unmatched .cond-failed`); !strings.Contains(got, "FAILED") || !strings.Contains(got, "branch is feature/x; wanted main") {
		t.Errorf("failed condition reads %q", got)
	}
	if got := text(`#actions`); !strings.Contains(got, "succeeded") || !strings.Contains(got, "hook-feature") || !strings.Contains(got, `"secret": "<secret>"`) {
		t.Errorf("actions read %q", got)
	}
	if eval(`document.documentElement.outerHTML.includes(` + strconv.Quote(hookSecret) + `)`) {
		t.Error("the page shows the http action's secret")
	}
	shot("delivery.png")

	// A failed action: its attempt, its error and a Retry button.
	do("open the failed delivery", chromedp.Navigate(a.srv.URL+"/ui/deliveries/ui-broken"), chromedp.WaitVisible(chromedp.CSS(`#actions`)))
	if got := text(`#actions`); !strings.Contains(got, "failed") || !strings.Contains(got, "HTTP 500") || !strings.Contains(got, "Retry") {
		t.Errorf("the failed action reads %q", got)
	}
	shot("delivery-failed.png")
	do("back to the delivery", chromedp.Navigate(a.srv.URL+"/ui/deliveries/ui-feature"), chromedp.WaitVisible(chromedp.CSS(`#rules`)))

	// Phone width: nothing wider than the screen, both pages.
	do("phone width", chromedp.EmulateViewport(390, 844))
	if !eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Error("the delivery page is wider than a phone screen")
	}
	shot("delivery-phone.png")
	do("list at phone width", chromedp.Navigate(a.srv.URL+"/ui/"), chromedp.WaitVisible(chromedp.CSS(`#rows a[href="/ui/deliveries/ui-feature"]`)))
	if !eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Error("the list is wider than a phone screen")
	}
	shot("deliveries-phone.png")

	// Replay: the button makes a new delivery and shows it.
	do("desktop width", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(a.srv.URL+"/ui/deliveries/ui-feature"), chromedp.WaitVisible(chromedp.CSS(`#replay`)))
	do("replay", chromedp.Click(chromedp.CSS(`#replay`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if l := location(); l != a.srv.URL+"/ui/deliveries/ui-feature.replay-1?done=replayed" {
		t.Fatalf("after Replay at %s", l)
	}
	if got := text(`#summary`); !strings.Contains(got, "Replay of") || !strings.Contains(got, "ui-feature") {
		t.Errorf("the replay's page reads %q", got)
	}
	a.settled(t, "ui-feature.replay-1")
	waitFor("the replay's page to show it done", `document.querySelector('#summary .badge') && document.querySelector('#summary .badge').innerText.includes("succeeded")`)
	if got := text(`.rule.unmatched .cond-failed`); !strings.Contains(got, "branch is feature/x; wanted main") {
		t.Errorf("replay: failed condition reads %q", got)
	}
	do("back to the list", chromedp.Navigate(a.srv.URL+"/ui/"), chromedp.WaitVisible(chromedp.CSS(`#rows a[href="/ui/deliveries/ui-feature.replay-1"]`)))
	if got := text(`#rows`); !strings.Contains(got, "replay of ui-feature") {
		t.Errorf("the list does not say the replay is one: %q", got)
	}
	fmt.Fprintf(os.Stderr, "TestBrowser: screenshots in %s\n", shots)
}
