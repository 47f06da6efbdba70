package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// uiClient is a browser-like HTTP client: it keeps cookies and does not
// follow redirects, so that each answer can be checked.
func uiClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, c *http.Client, u string) page {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(b)}
}

func post(t *testing.T, c *http.Client, u string, form url.Values, header map[string]string) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(b)}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf finds the CSRF token in a page's form.
func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field in:\n%s", p.body)
	}
	return m[1]
}

// login logs c in and returns the session's CSRF token.
func login(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	form := get(t, c, base+"/ui/login")
	p := post(t, c, base+"/ui/login", url.Values{"token": {adminToken}, "csrf": {csrfOf(t, form)}}, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/ui/" {
		t.Fatalf("login: %d %s", p.status, p.header.Get("Location"))
	}
	return csrfOf(t, get(t, c, base+"/ui/"))
}

// TestUIHostile tries the page with what an attacker has: no token, a wrong
// one, a forged cookie, a POST without or with a wrong CSRF token, a login
// form posted from elsewhere, and HTML in payload fields.
func TestUIHostile(t *testing.T) {
	a := startAdmin(t, always(http.StatusOK))
	base := a.srv.URL

	t.Run("not logged in", func(t *testing.T) {
		c := uiClient(t)
		for _, path := range []string{"/ui/", "/ui/deliveries/x"} {
			if p := get(t, c, base+path); p.status != http.StatusSeeOther || p.header.Get("Location") != "/ui/login" {
				t.Errorf("GET %s: %d %s, want 303 to the login form", path, p.status, p.header.Get("Location"))
			}
		}
		if p := get(t, c, base+"/ui/rows"); p.status != http.StatusUnauthorized {
			t.Errorf("GET /ui/rows: %d, want 401", p.status)
		}
		if p := post(t, c, base+"/ui/deliveries/x/replay", url.Values{"csrf": {"x"}}, nil); p.status != http.StatusUnauthorized {
			t.Errorf("POST replay: %d, want 401", p.status)
		}
	})

	t.Run("login form", func(t *testing.T) {
		c := uiClient(t)
		form := get(t, c, base+"/ui/login")
		if form.status != http.StatusOK || !strings.Contains(form.body, `name="token"`) {
			t.Fatalf("login form: %d\n%s", form.status, form.body)
		}
		csrf := csrfOf(t, form)
		// A wrong token: 401, the form again, no session.
		p := post(t, c, base+"/ui/login", url.Values{"token": {"wrong-token-0123456789"}, "csrf": {csrf}}, nil)
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Wrong token.") || strings.Contains(p.body, "wrong-token-0123456789") {
			t.Fatalf("wrong token: %d\n%s", p.status, p.body)
		}
		if hasCookie(p.header, "switchboard_session") {
			t.Fatal("a wrong token got a session cookie")
		}
		// The right token without the form's CSRF token (a form posted by
		// another site): refused.
		c2 := uiClient(t)
		p = post(t, c2, base+"/ui/login", url.Values{"token": {adminToken}}, nil)
		if p.status != http.StatusForbidden || hasCookie(p.header, "switchboard_session") {
			t.Fatalf("login without CSRF: %d, session cookie %v", p.status, hasCookie(p.header, "switchboard_session"))
		}
		// The right token: a session cookie, HttpOnly, SameSite=Strict,
		// scoped to /ui/, not Secure over plain HTTP.
		form = get(t, c, base+"/ui/login")
		p = post(t, c, base+"/ui/login", url.Values{"token": {adminToken}, "csrf": {csrfOf(t, form)}}, nil)
		if p.status != http.StatusSeeOther {
			t.Fatalf("login: %d", p.status)
		}
		sc := setCookie(p.header, "switchboard_session")
		for _, want := range []string{"Path=/ui/", "HttpOnly", "SameSite=Strict"} {
			if !strings.Contains(sc, want) {
				t.Errorf("session cookie %q lacks %s", sc, want)
			}
		}
		if strings.Contains(sc, "Secure") {
			t.Errorf("session cookie %q is Secure over plain HTTP", sc)
		}
		if strings.Contains(sc, adminToken) {
			t.Error("the session cookie holds the admin token")
		}
		// Behind a TLS proxy the cookie is Secure.
		form = get(t, c, base+"/ui/login")
		p = post(t, c, base+"/ui/login", url.Values{"token": {adminToken}, "csrf": {csrfOf(t, form)}}, map[string]string{"X-Forwarded-Proto": "https"})
		if sc := setCookie(p.header, "switchboard_session"); !strings.Contains(sc, "Secure") {
			t.Errorf("session cookie behind TLS %q is not Secure", sc)
		}
	})

	t.Run("oversized form", func(t *testing.T) {
		c := uiClient(t)
		form := get(t, c, base+"/ui/login")
		big := url.Values{"token": {strings.Repeat("x", 70_000)}, "csrf": {csrfOf(t, form)}}
		p := post(t, c, base+"/ui/login", big, nil)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "The form could not be read.") || hasCookie(p.header, "switchboard_session") {
			t.Fatalf("oversized login: %d", p.status)
		}
		csrf := login(t, c, base)
		p = post(t, c, base+"/ui/deliveries/x/replay", url.Values{"csrf": {csrf}, "pad": {strings.Repeat("x", 70_000)}}, nil)
		if p.status != http.StatusForbidden {
			t.Fatalf("oversized POST: %d, want 403", p.status)
		}
	})

	t.Run("forged cookie", func(t *testing.T) {
		for name, value := range map[string]string{
			"garbage":       "x",
			"no MAC":        "bm9uY2U.9999999999.",
			"wrong MAC":     "bm9uY2U.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			"the token":     adminToken,
			"three parts":   "a.b.c",
			"expired token": "bm9uY2U.1.AAAA",
		} {
			req, _ := http.NewRequest(http.MethodGet, base+"/ui/", nil)
			req.AddCookie(&http.Cookie{Name: "switchboard_session", Value: value})
			resp, err := uiClient(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login" {
				t.Errorf("%s: %d %s, want 303 to the login form", name, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	})

	t.Run("CSRF", func(t *testing.T) {
		a.push(t, "csrf-1", "feature/x")
		a.settled(t, "csrf-1")
		c := uiClient(t)
		csrf := login(t, c, base)
		other := login(t, uiClient(t), base) // another session's token
		for name, form := range map[string]url.Values{
			"missing":         {},
			"empty":           {"csrf": {""}},
			"wrong":           {"csrf": {"AAAA"}},
			"another session": {"csrf": {other}},
		} {
			p := post(t, c, base+"/ui/deliveries/csrf-1/replay", form, nil)
			if p.status != http.StatusForbidden || !strings.Contains(p.body, "CSRF") {
				t.Errorf("%s CSRF token: %d, want 403", name, p.status)
			}
		}
		if s := a.status(t, "csrf-1.replay-1"); s != "" {
			t.Fatalf("a refused POST made a replay (%s)", s)
		}
		p := post(t, c, base+"/ui/deliveries/csrf-1/replay", url.Values{"csrf": {csrf}}, nil)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/ui/deliveries/csrf-1.replay-1?done=replayed" {
			t.Fatalf("replay with the CSRF token: %d %s", p.status, p.header.Get("Location"))
		}
		// Logging out needs the token too, and ends the session.
		if p := post(t, c, base+"/ui/logout", url.Values{}, nil); p.status != http.StatusForbidden {
			t.Errorf("logout without CSRF: %d", p.status)
		}
		if p := post(t, c, base+"/ui/logout", url.Values{"csrf": {csrf}}, nil); p.status != http.StatusSeeOther {
			t.Errorf("logout: %d", p.status)
		}
		if p := get(t, c, base+"/ui/"); p.status != http.StatusSeeOther {
			t.Errorf("after logout: %d, want 303 to login", p.status)
		}
	})

	t.Run("API refusals shown", func(t *testing.T) {
		a.push(t, "refuse-1", "main")
		a.settled(t, "refuse-1")
		c := uiClient(t)
		csrf := login(t, c, base)
		if p := get(t, c, base+"/ui/deliveries/no-such"); p.status != http.StatusNotFound || !strings.Contains(p.body, "delivery not found") {
			t.Errorf("unknown delivery: %d", p.status)
		}
		// A bad filter is the user's to fix: the list says what the API said.
		if p := get(t, c, base+"/ui/?status=bogus"); p.status != http.StatusOK || !strings.Contains(p.body, `role="alert"`) || !strings.Contains(p.body, "status: ") {
			t.Errorf("bad filter: %d\n%s", p.status, p.body)
		}
		if p := get(t, c, base+"/ui/rows?limit=x&status=bogus"); p.status != http.StatusBadRequest {
			t.Errorf("bad filter on refresh: %d", p.status)
		}
		// Retrying an action that succeeded: 409 with the API's reason.
		d := get(t, c, base+"/ui/deliveries/refuse-1")
		m := regexp.MustCompile(`id="action-([0-9a-f]{20})"`).FindStringSubmatch(d.body)
		if m == nil {
			t.Fatalf("no action on the page:\n%s", d.body)
		}
		if strings.Contains(d.body, "/retry") {
			t.Error("a succeeded action shows a Retry button")
		}
		p := post(t, c, base+"/ui/actions/"+m[1]+"/retry", url.Values{"csrf": {csrf}, "delivery": {"refuse-1"}}, nil)
		if p.status != http.StatusConflict || !strings.Contains(p.body, "only a failed or cancelled action can be retried") {
			t.Errorf("retry of a succeeded action: %d\n%s", p.status, p.body)
		}
		// An unknown action: the API's 404.
		if p := post(t, c, base+"/ui/actions/0123456789abcdef0123/retry", url.Values{"csrf": {csrf}, "delivery": {"refuse-1"}}, nil); p.status != http.StatusNotFound || !strings.Contains(p.body, "action not found") {
			t.Errorf("retry of an unknown action: %d", p.status)
		}
	})

	t.Run("HTML in payload fields is escaped", func(t *testing.T) {
		const evil = `<img src=x onerror=alert(1)>`
		body := payload(t, "push.branch.json", func(m map[string]any) {
			m["ref"] = "refs/heads/feature/" + evil
			m["sender"].(map[string]any)["login"] = evil
			m["compare"] = "javascript:alert(1)"
			m["head_commit"].(map[string]any)["message"] = `</script><script>alert(1)</script>`
		})
		if got := send(t, base+"/webhook", delivery{event: "push", id: "evil-1", body: body}); got.status != http.StatusAccepted {
			t.Fatalf("%d %s", got.status, got.body)
		}
		a.settled(t, "evil-1")
		c := uiClient(t)
		login(t, c, base)
		for _, path := range []string{"/ui/", "/ui/rows", "/ui/deliveries/evil-1"} {
			p := get(t, c, base+path)
			if p.status != http.StatusOK {
				t.Fatalf("%s: %d", path, p.status)
			}
			for _, bad := range []string{"<img", "<script>alert", `href="javascript:`} {
				if strings.Contains(p.body, bad) {
					t.Errorf("%s contains %q unescaped", path, bad)
				}
			}
			if !strings.Contains(p.body, "&lt;img src=x onerror=alert(1)&gt;") {
				t.Errorf("%s does not show the sender escaped", path)
			}
			if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("%s: Content-Security-Policy %q", path, csp)
			}
		}
	})
}

// TestUIClosedWithoutToken: with no admin token the page is not there.
func TestUIClosedWithoutToken(t *testing.T) {
	cfg := strings.Replace(adminConfig, `, admin_token: "${SWITCHBOARD_ADMIN_TOKEN}"`, "", 1)
	srv := startServer(t, cfg, map[string]string{"JENKINS_URL": "http://127.0.0.1:1/", "JENKINS_TOKEN": "t", "HOOK_URL": "http://127.0.0.1:1/", "HOOK_SECRET": "s"})
	c := uiClient(t)
	for _, path := range []string{"/ui/", "/ui", "/ui/login", "/ui/static/app.js", "/api/v1/deliveries"} {
		if p := get(t, c, srv.URL+path); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, p.status)
		}
	}
	if p := post(t, c, srv.URL+"/ui/login", url.Values{"token": {""}}, nil); p.status != http.StatusNotFound {
		t.Errorf("POST /ui/login: %d, want 404", p.status)
	}
}

func setCookie(h http.Header, name string) string {
	for _, c := range h.Values("Set-Cookie") {
		if strings.HasPrefix(c, name+"=") {
			return c
		}
	}
	return ""
}

func hasCookie(h http.Header, name string) bool {
	sc := setCookie(h, name)
	return sc != "" && !strings.HasPrefix(sc, name+"=;")
}

// TestUIListFilters: the list and its refresh show only what the filters
// let through, and say when nothing does.
func TestUIListFilters(t *testing.T) {
	a := startAdmin(t, always(http.StatusInternalServerError))
	a.push(t, "filter-main", "main")
	a.push(t, "filter-feature", "feature/x")
	a.settled(t, "filter-main")
	a.settled(t, "filter-feature")
	c := uiClient(t)
	login(t, c, a.srv.URL)
	tests := map[string]struct {
		query     string
		want, not []string
	}{
		"none":             {"", []string{"filter-main", "filter-feature"}, nil},
		"status failed":    {"status=failed", []string{"filter-feature"}, []string{`href="/ui/deliveries/filter-main"`}},
		"status succeeded": {"status=succeeded", []string{"filter-main"}, []string{`href="/ui/deliveries/filter-feature"`}},
		"free text":        {"q=FEATURE", []string{"filter-feature"}, []string{`href="/ui/deliveries/filter-main"`}},
		"repo and event":   {"repo=codertocat/hello-world&event=push", []string{"filter-main", "filter-feature"}, nil},
		"nothing matches":  {"event=issues", []string{"No deliveries yet."}, []string{"filter-"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/ui/?", "/ui/rows?"} {
				p := get(t, c, a.srv.URL+path+tt.query)
				if p.status != http.StatusOK {
					t.Fatalf("%s: %d", path, p.status)
				}
				for _, w := range tt.want {
					if !strings.Contains(p.body, w) {
						t.Errorf("%s%s lacks %q", path, tt.query, w)
					}
				}
				for _, n := range tt.not {
					if strings.Contains(p.body, n) {
						t.Errorf("%s%s shows %q", path, tt.query, n)
					}
				}
			}
		})
	}
	// The Jenkins action links to what it queued, and the page to GitHub.
	d := get(t, c, a.srv.URL+"/ui/deliveries/filter-main")
	if !regexp.MustCompile(`<a href="` + regexp.QuoteMeta(a.jenkins.URL()) + `[^"]*queue/item/\d+/?"[^>]*>Jenkins queue item ↗</a>`).MatchString(d.body) {
		t.Errorf("no link to the Jenkins queue item:\n%s", d.body)
	}
	if !strings.Contains(d.body, `<a href="https://github.com/Codertocat/Hello-World" rel="noopener noreferrer" target="_blank">Repository on GitHub ↗</a>`) {
		t.Error("no link to the repository on GitHub")
	}

	// The list's refresh keeps the filters.
	p := get(t, c, a.srv.URL+"/ui/?status=failed&q=x")
	if !strings.Contains(p.body, `data-rows="/ui/rows?q=x&amp;status=failed"`) {
		t.Errorf("the refresh URL does not keep the filters:\n%s", p.body)
	}
}
