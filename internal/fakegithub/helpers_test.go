package fakegithub

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const testAppID = 1001

type fixture struct {
	s   *Server
	key *Key
}

func newFixture(t *testing.T, mod func(*Options)) fixture {
	t.Helper()
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	o := Options{AppID: testAppID, PublicKey: key.PublicKey()}
	if mod != nil {
		mod(&o)
	}
	s := New(o)
	t.Cleanup(s.Close)
	return fixture{s: s, key: key}
}

// signJWT signs claims with RS256, as an App does.
func signJWT(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// appJWT is a valid App JWT as ghinstallation makes them.
func (f fixture) appJWT(t *testing.T) string {
	now := time.Now()
	return signJWT(t, f.key.Private, map[string]any{"iss": "1001", "iat": now.Add(-30 * time.Second).Unix(), "exp": now.Add(2 * time.Minute).Unix()})
}

// token exchanges an App JWT for an installation token.
func (f fixture) token(t *testing.T, installation string) string {
	t.Helper()
	resp, body := do(t, "POST", f.s.URL()+"app/installations/"+installation+"/access_tokens", "Bearer "+f.appJWT(t), "{}")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("token exchange: %d %s", resp.StatusCode, body)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Token
}

// do sends one request; body is sent as is when a string, else as JSON.
func do(t *testing.T, method, url, auth string, body any) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

// ghError decodes GitHub's JSON error body.
func ghError(t *testing.T, body []byte) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(body, &e); err != nil || e.Message == "" || e.DocumentationURL == "" {
		t.Fatalf("not GitHub's error body (%v): %s", err, body)
	}
	return e
}
