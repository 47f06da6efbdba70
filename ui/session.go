package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cookie names. Both are HttpOnly, SameSite=Strict and scoped to /ui/.
const (
	sessionCookie = "switchboard_session"
	loginCookie   = "switchboard_login"
	cookiePath    = "/ui/"
)

// keys derives the page's signing key from the admin token: a session or
// CSRF token made under one admin token is worthless once the token changes,
// and replicas sharing the token accept each other's sessions without
// sharing any state.
type keys struct{ key []byte }

func newKeys(adminToken string) keys {
	m := hmac.New(sha256.New, []byte(adminToken))
	m.Write([]byte("switchboard ui v1"))
	return keys{key: m.Sum(nil)}
}

func (k keys) mac(parts ...string) string {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// session is a verified session cookie.
type session struct {
	nonce string
	csrf  string
}

// newSession returns the value of a session cookie valid until expires.
func (k keys) newSession(expires time.Time) (string, error) {
	nonce, err := randomText()
	if err != nil {
		return "", err
	}
	exp := strconv.FormatInt(expires.Unix(), 10)
	return nonce + "." + exp + "." + k.mac("session", nonce, exp), nil
}

// checkSession verifies a session cookie's value: its MAC, then its expiry.
func (k keys) checkSession(value string, now time.Time) (session, bool) {
	parts := strings.Split(value, ".")
	if len(parts) != 3 {
		return session{}, false
	}
	nonce, exp, sum := parts[0], parts[1], parts[2]
	if !hmac.Equal([]byte(sum), []byte(k.mac("session", nonce, exp))) {
		return session{}, false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !now.Before(time.Unix(unix, 0)) {
		return session{}, false
	}
	return session{nonce: nonce, csrf: k.mac("csrf", nonce)}, true
}

// loginCSRF is the login form's CSRF token for the nonce in its cookie.
func (k keys) loginCSRF(nonce string) string { return k.mac("login", nonce) }

// sameToken compares two secrets in constant time, whatever their lengths.
func sameToken(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// sameCSRF compares a submitted CSRF token with the expected one.
func sameCSRF(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func randomText() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// secureRequest says whether the browser reached us over TLS, directly or
// through a proxy that says so. A forged header only makes the cookie
// stricter (it is then not sent over plain HTTP), so trusting it is safe.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     cookiePath,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   secureRequest(r),
		SameSite: http.SameSiteStrictMode,
	})
}
