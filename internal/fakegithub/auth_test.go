package fakegithub

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokenExchangeChecksTheAppJWT(t *testing.T) {
	f := newFixture(t, nil)
	other, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(iss any, iat, exp time.Time) map[string]any {
		return map[string]any{"iss": iss, "iat": iat.Unix(), "exp": exp.Unix()}
	}
	valid := claims("1001", now.Add(-30*time.Second), now.Add(2*time.Minute))
	tests := map[string]struct {
		auth    string
		status  int
		message string
		issuer  string // recorded on the request
	}{
		"valid":             {auth: "Bearer " + signJWT(t, f.key.Private, valid), status: 201, issuer: "1001"},
		"numeric issuer":    {auth: "Bearer " + signJWT(t, f.key.Private, claims(1001, now, now.Add(time.Minute))), status: 201, issuer: "1001"},
		"no header":         {status: 401, message: msgJWTUndecodable},
		"token scheme":      {auth: "token " + signJWT(t, f.key.Private, valid), status: 401, message: msgJWTUndecodable},
		"not a jwt":         {auth: "Bearer abc.def", status: 401, message: msgJWTUndecodable},
		"other key":         {auth: "Bearer " + signJWT(t, other.Private, valid), status: 401, message: msgJWTUndecodable},
		"other app":         {auth: "Bearer " + signJWT(t, f.key.Private, claims("999", now, now.Add(time.Minute))), status: 401, message: msgJWTUndecodable, issuer: "999"},
		"expired":           {auth: "Bearer " + signJWT(t, f.key.Private, claims("1001", now.Add(-time.Hour), now.Add(-time.Minute))), status: 401, message: msgJWTExpired, issuer: "1001"},
		"lives too long":    {auth: "Bearer " + signJWT(t, f.key.Private, claims("1001", now, now.Add(time.Hour))), status: 401, message: msgJWTTooLong, issuer: "1001"},
		"installation path": {auth: "Bearer " + signJWT(t, f.key.Private, valid), status: 201, issuer: "1001"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			before := len(f.s.Requests())
			resp, body := do(t, "POST", f.s.URL()+"app/installations/42/access_tokens", tc.auth, "{}")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.message != "" {
				if got := ghError(t, body).Message; got != tc.message {
					t.Errorf("message %q, want %q", got, tc.message)
				}
			}
			r := f.s.Requests()[before]
			if r.Issuer != tc.issuer {
				t.Errorf("recorded issuer %q, want %q", r.Issuer, tc.issuer)
			}
			if tc.status != 201 {
				return
			}
			var out struct {
				Token     string    `json:"token"`
				ExpiresAt time.Time `json:"expires_at"`
			}
			if err := json.Unmarshal(body, &out); err != nil || !strings.HasPrefix(out.Token, "ghs_") {
				t.Fatalf("token body %s (%v)", body, err)
			}
			if d := time.Until(out.ExpiresAt); d < 59*time.Minute || d > 61*time.Minute {
				t.Errorf("expires_at %v is not about an hour away", out.ExpiresAt)
			}
			ex := f.s.TokenExchanges()
			if last := ex[len(ex)-1]; last.Token != out.Token || last.Installation != 42 || last.Issuer != "1001" {
				t.Errorf("exchange recorded as %+v", last)
			}
		})
	}
}

func TestRepositoryEndpointsNeedAnInstallationToken(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	f := newFixture(t, func(o *Options) { o.Now = clock.now })
	tok := f.token(t, "7")
	url := f.s.URL() + "repos/acme/widgets/statuses/abc"
	body := map[string]string{"state": "success"}
	tests := []struct {
		name   string
		auth   string
		status int
	}{
		{"none", "", 401},
		{"unknown token", "token ghs_nope", 401},
		{"app jwt", "Bearer " + f.appJWT(t), 401},
		{"token scheme", "token " + tok, 201},
		{"bearer scheme", "Bearer " + tok, 201},
	}
	for _, tc := range tests {
		resp, b := do(t, "POST", url, tc.auth, body)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, resp.StatusCode, tc.status, b)
		}
		if tc.status == 401 && ghError(t, b).Message != "Bad credentials" {
			t.Errorf("%s: message %s", tc.name, b)
		}
	}
	clock.advance(time.Hour)
	if resp, _ := do(t, "POST", url, "token "+tok, body); resp.StatusCode != 401 {
		t.Errorf("expired token: status %d, want 401", resp.StatusCode)
	}
	sts := f.s.Statuses("acme", "widgets", "abc")
	if len(sts) != 2 || sts[0].Installation != 7 {
		t.Errorf("statuses %+v, want two by installation 7", sts)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestUnknownPathsAndPrefix(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.PathPrefix = "/api/v3" })
	for _, u := range []string{f.s.URL() + "nope", strings.TrimSuffix(f.s.URL(), "api/v3/") + "app/hook/deliveries"} {
		resp, b := do(t, "GET", u, "Bearer "+f.appJWT(t), nil)
		if resp.StatusCode != http.StatusNotFound || ghError(t, b).Message != "Not Found" {
			t.Errorf("GET %s: %d %s, want GitHub's 404", u, resp.StatusCode, b)
		}
	}
	resp, b := do(t, "GET", f.s.URL()+"app/hook/deliveries", "Bearer "+f.appJWT(t), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("deliveries under the prefix: %d %s", resp.StatusCode, b)
	}
	rs := f.s.Requests()
	if last := rs[len(rs)-1]; last.Path != "/app/hook/deliveries" || last.FullPath != "/api/v3/app/hook/deliveries" || last.Auth != "jwt" {
		t.Errorf("recorded %+v", last)
	}
}
