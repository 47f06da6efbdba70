package ui

import (
	"strings"
	"testing"
	"time"
)

func TestSession(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	k := newKeys("admin-token-0123456789")
	value, err := k.newSession(now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := k.checkSession(value, now)
	if !ok || s.csrf == "" {
		t.Fatalf("a fresh session is refused")
	}
	parts := strings.Split(value, ".")
	tests := map[string]struct {
		keys  keys
		value string
		at    time.Time
	}{
		"expired":              {k, value, now.Add(time.Hour)},
		"other admin token":    {newKeys("admin-token-9876543210"), value, now},
		"expiry moved":         {k, parts[0] + ".99999999999." + parts[2], now},
		"nonce changed":        {k, "AAAA" + parts[0][4:] + "." + parts[1] + "." + parts[2], now},
		"MAC cut":              {k, parts[0] + "." + parts[1] + "." + parts[2][:10], now},
		"empty":                {k, "", now},
		"extra part":           {k, value + ".x", now},
		"expiry not a number":  {k, parts[0] + ".soon." + parts[2], now},
		"MAC of another nonce": {k, "bm9uY2U." + parts[1] + "." + parts[2], now},
		"MAC under the token":  {k, parts[0] + "." + parts[1] + "." + newKeys("").mac("session", parts[0], parts[1]), now},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, ok := tt.keys.checkSession(tt.value, tt.at); ok {
				t.Fatalf("accepted %q", tt.value)
			}
		})
	}
}

func TestCSRFTokens(t *testing.T) {
	k := newKeys("admin-token-0123456789")
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	v1, _ := k.newSession(now.Add(time.Hour))
	v2, _ := k.newSession(now.Add(time.Hour))
	s1, _ := k.checkSession(v1, now)
	s2, _ := k.checkSession(v2, now)
	if s1.csrf == s2.csrf {
		t.Fatal("two sessions share a CSRF token")
	}
	if sameCSRF("", "") || sameCSRF(s1.csrf, s2.csrf) || !sameCSRF(s1.csrf, s1.csrf) {
		t.Fatal("sameCSRF")
	}
	if k.loginCSRF("a") == k.loginCSRF("b") || k.loginCSRF("a") == newKeys("other-token-0123456789").loginCSRF("a") {
		t.Fatal("login CSRF tokens collide")
	}
}

func TestSameToken(t *testing.T) {
	if !sameToken("abc", "abc") || sameToken("abc", "abd") || sameToken("abc", "abcd") || sameToken("", "abc") {
		t.Fatal("sameToken")
	}
}
