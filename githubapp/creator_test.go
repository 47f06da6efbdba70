package githubapp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
)

func comment(t *testing.T, gc *github.Client, body string) {
	t.Helper()
	if _, _, err := gc.Issues.CreateComment(context.Background(), "acme", "widgets", 1, &github.IssueComment{Body: github.String(body)}); err != nil {
		t.Fatalf("CreateComment: %v", err)
	}
}

func TestInstallationTokenExchangedOnceWithAppJWT(t *testing.T) {
	e := newEnv(t, nil, nil)
	gc, err := e.c.Installation(77)
	if err != nil {
		t.Fatal(err)
	}
	comment(t, gc, "one")
	again, err := e.c.Installation(77)
	if err != nil {
		t.Fatal(err)
	}
	if again != gc {
		t.Error("Installation(77) twice gave two clients; want the cached one")
	}
	comment(t, again, "two")

	ex := e.gh.TokenExchanges()
	if len(ex) != 1 {
		t.Fatalf("token exchanges = %d, want 1 for two calls", len(ex))
	}
	if ex[0].Issuer != strconv.Itoa(appID) || ex[0].Installation != 77 {
		t.Errorf("exchange issuer %q installation %d, want %d and 77", ex[0].Issuer, ex[0].Installation, appID)
	}
	if len(ex[0].Repositories) != 0 || len(ex[0].Permissions) != 0 {
		t.Errorf("token request restricted to %v %v, want the installation's full access", ex[0].Repositories, ex[0].Permissions)
	}
	cs := e.gh.Comments("acme", "widgets", 1)
	if len(cs) != 2 || cs[0].Installation != 77 || cs[1].Installation != 77 {
		t.Fatalf("comments = %+v, want two posted as installation 77", cs)
	}
	if got := metricValue(t, e.reg, "switchboard_github_installation_clients", nil); got != 1 {
		t.Errorf("installation clients gauge = %v, want 1", got)
	}
}

func TestInstallationTokenRefetchedWhenExpiring(t *testing.T) {
	e := newEnv(t, nil, nil)
	// ghinstallation refreshes a minute before expires_at: a 30 s token is
	// stale at once.
	e.gh.SetTokenTTL(30 * time.Second)
	gc, err := e.c.Installation(5)
	if err != nil {
		t.Fatal(err)
	}
	comment(t, gc, "one")
	comment(t, gc, "two")
	if n := len(e.gh.TokenExchanges()); n != 2 {
		t.Fatalf("token exchanges = %d, want 2 (one per call, the token being near expiry)", n)
	}
	e.gh.SetTokenTTL(time.Hour)
	comment(t, gc, "three")
	comment(t, gc, "four")
	if n := len(e.gh.TokenExchanges()); n != 3 {
		t.Fatalf("token exchanges = %d, want 3 (a fresh one-hour token is reused)", n)
	}
}

func TestConcurrentCallsShareOneTokenPerInstallation(t *testing.T) {
	e := newEnv(t, nil, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gc, err := e.c.Installation(int64(1 + i%2))
			if err == nil {
				_, _, err = gc.Issues.CreateComment(context.Background(), "acme", "widgets", 1, &github.IssueComment{Body: github.String("x")})
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.gh.TokenExchanges()); n != 2 {
		t.Fatalf("token exchanges = %d, want 2 (one per installation)", n)
	}
}

func TestGHESBaseURLHonoured(t *testing.T) {
	e := newEnv(t, func(o *fakegithub.Options) { o.PathPrefix = "/api/v3" }, nil)
	if !strings.HasSuffix(e.gh.URL(), "/api/v3/") {
		t.Fatalf("fake URL %q", e.gh.URL())
	}
	gc, err := e.c.Installation(9)
	if err != nil {
		t.Fatal(err)
	}
	comment(t, gc, "hello from GHES")
	if _, _, err := e.c.HookDeliveries(context.Background(), "", 10); err != nil {
		t.Fatal(err)
	}
	reqs := e.gh.Requests()
	want := []string{
		"POST /api/v3/app/installations/9/access_tokens",
		"POST /api/v3/repos/acme/widgets/issues/1/comments",
		"GET /api/v3/app/hook/deliveries",
	}
	if len(reqs) != len(want) {
		t.Fatalf("requests = %+v, want %v", reqs, want)
	}
	for i, r := range reqs {
		if got := r.Method + " " + r.FullPath; got != want[i] || r.Status >= 300 {
			t.Errorf("request %d = %s (status %d), want %s answered 2xx", i, got, r.Status, want[i])
		}
	}
}

func TestInstallationCacheIsBounded(t *testing.T) {
	e := newEnv(t, nil, func(o *githubapp.Options) { o.CacheSize = 2 })
	first, _ := e.c.Installation(1)
	_, _ = e.c.Installation(2)
	_, _ = e.c.Installation(1) // 1 is now the most recent
	_, _ = e.c.Installation(3) // drops 2
	if again, _ := e.c.Installation(1); again != first {
		t.Error("installation 1 was dropped; want the least recently used (2) dropped")
	}
	if got := metricValue(t, e.reg, "switchboard_github_installation_clients", nil); got != 2 {
		t.Errorf("installation clients gauge = %v, want 2", got)
	}
	if _, err := e.c.Installation(0); err == nil {
		t.Error("Installation(0) succeeded; want an error")
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key.Private)
	if err != nil {
		t.Fatal(err)
	}
	body := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key.Private)})
	escaped := strings.ReplaceAll(string(key.PEM), "\n", `\n`)
	corrupt := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key.Private)[:200]})
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: x509.MarshalPKCS1PrivateKey(key.Private)})

	tests := map[string]struct {
		opts githubapp.Options
		want string // in the error; "" for success
		is   error
	}{
		"no credentials":      {opts: githubapp.Options{}, is: githubapp.ErrNoCredentials},
		"key without app id":  {opts: githubapp.Options{PrivateKey: key.PEM}, want: "App ID is 0"},
		"app id without key":  {opts: githubapp.Options{AppID: 1}, want: "private key is empty"},
		"not pem":             {opts: githubapp.Options{AppID: 1, PrivateKey: []byte("MIIEowIBAAKCAQEA7secret")}, want: "not PEM"},
		"escaped newlines":    {opts: githubapp.Options{AppID: 1, PrivateKey: []byte(escaped)}, want: `literal \n`},
		"corrupt pkcs1":       {opts: githubapp.Options{AppID: 1, PrivateKey: corrupt}, want: "does not parse as PKCS#1"},
		"encrypted":           {opts: githubapp.Options{AppID: 1, PrivateKey: encrypted}, want: "encrypted"},
		"ec key":              {opts: githubapp.Options{AppID: 1, PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})}, want: "RSA"},
		"certificate":         {opts: githubapp.Options{AppID: 1, PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2}})}, want: `"CERTIFICATE" PEM block`},
		"relative api url":    {opts: githubapp.Options{AppID: 1, PrivateKey: key.PEM, BaseURL: "api.github.com"}, want: "not an absolute"},
		"api url with secret": {opts: githubapp.Options{AppID: 1, PrivateKey: key.PEM, BaseURL: "https://bob:hunter2@ghe.example.com/api/v3/"}, want: "must not carry credentials"},
		"pkcs1 ok":            {opts: githubapp.Options{AppID: 1, PrivateKey: body}},
		"pkcs8 ok":            {opts: githubapp.Options{AppID: 1, PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})}},
		"ghes ok":             {opts: githubapp.Options{AppID: 1, PrivateKey: key.PEM, BaseURL: "https://ghe.example.com/api/v3"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := githubapp.New(tc.opts)
			switch {
			case tc.is != nil:
				if !errors.Is(err, tc.is) {
					t.Fatalf("err = %v, want %v", err, tc.is)
				}
			case tc.want == "":
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
			case err == nil || !strings.Contains(err.Error(), tc.want):
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if err != nil {
				assertNoSecret(t, err.Error(), key, "hunter2", "7secret")
			}
		})
	}
}
