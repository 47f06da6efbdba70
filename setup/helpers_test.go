package setup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/fakegithub"
	"github.com/switchboard-dev/switchboard/setup"
)

const publicURL = "https://switchboard.example.com"

// syncBuffer is a bytes.Buffer that the setup goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run is one setup run against a fake GitHub Enterprise Server.
type run struct {
	gh      *fakegithub.Server
	key     *fakegithub.Key
	skew    *atomic.Int64 // nanoseconds added to the fake's clock
	out     string        // --out
	base    string        // the setup server, http://127.0.0.1:PORT
	stdout  *syncBuffer
	logs    *syncBuffer
	pages   *syncBuffer // every page body the browser saw
	browser *http.Client
	result  chan runResult
	cancel  context.CancelFunc
}

type runResult struct {
	res *setup.Result
	err error
}

func newFake(t *testing.T) (*fakegithub.Server, *fakegithub.Key, *atomic.Int64) {
	t.Helper()
	key, err := fakegithub.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	skew := new(atomic.Int64)
	gh := fakegithub.New(fakegithub.Options{AppID: 4242, PublicKey: key.PublicKey(), PathPrefix: "/api/v3",
		Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	t.Cleanup(gh.Close)
	gh.SetManifestKey(key)
	return gh, key, skew
}

func startSetup(t *testing.T, mod func(*setup.Options)) *run {
	t.Helper()
	gh, key, skew := newFake(t)
	r := &run{gh: gh, key: key, skew: skew, out: t.TempDir(), stdout: &syncBuffer{}, logs: &syncBuffer{}, pages: &syncBuffer{},
		result: make(chan runResult, 1)}
	logger := logrus.New()
	logger.SetOutput(r.logs)
	logger.SetLevel(logrus.DebugLevel)
	listening := make(chan net.Addr, 1)
	o := setup.Options{
		Addr: "127.0.0.1:0", PublicURL: publicURL, GitHubURL: gh.WebURL(), OutDir: r.out,
		Manifest: switchboard.AppManifest(), ConfigPath: "switchboard.yml",
		Logger: logrus.NewEntry(logger), Out: r.stdout, OnListen: func(a net.Addr) { listening <- a },
	}
	if mod != nil {
		mod(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		res, err := setup.Run(ctx, o)
		r.result <- runResult{res, err}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.result:
		case <-time.After(30 * time.Second):
			t.Error("setup did not stop")
		}
	})
	select {
	case a := <-listening:
		r.base = "http://" + a.String()
	case res := <-r.result:
		t.Fatalf("setup ended before listening: %v", res.err)
	}
	// A browser that shows each redirect to the test instead of following it.
	r.browser = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	return r
}

func (r *run) get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := r.browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r.pages.Write(b)
	return resp, string(b)
}

var (
	formAction    = regexp.MustCompile(`<form action="([^"]+)" method="post">`)
	manifestField = regexp.MustCompile(`<input type="hidden" name="manifest" value="([^"]+)">`)
	hrefRE        = regexp.MustCompile(`<a href="([^"]+)">`)
)

// press loads the setup page and submits its form to the fake GitHub as a
// browser does; it returns where GitHub sends the browser back, and the
// manifest the form held.
func (r *run) press(t *testing.T) (*url.URL, map[string]any) {
	t.Helper()
	resp, page := r.get(t, r.base+"/")
	if resp.StatusCode != 200 {
		t.Fatalf("setup page: %d %s", resp.StatusCode, page)
	}
	if strings.Contains(page, "<script") {
		t.Error("the setup page has a script")
	}
	am, mm := formAction.FindStringSubmatch(page), manifestField.FindStringSubmatch(page)
	if am == nil || mm == nil {
		t.Fatalf("no form with a manifest field in:\n%s", page)
	}
	action, manifest := html.UnescapeString(am[1]), html.UnescapeString(mm[1])
	var m map[string]any
	if err := json.Unmarshal([]byte(manifest), &m); err != nil {
		t.Fatalf("manifest field is not JSON: %v", err)
	}
	resp, err := r.browser.PostForm(action, url.Values{"manifest": {manifest}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("new-App form: %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return back, m
}

func (r *run) wait(t *testing.T) runResult {
	t.Helper()
	select {
	case res := <-r.result:
		r.result <- res // for Cleanup
		return res
	case <-time.After(30 * time.Second):
		t.Fatal("setup did not finish")
	}
	return runResult{}
}

// assertNoSecrets fails when any secret of the created App, or the code,
// shows in what setup printed, logged or showed.
func (r *run) assertNoSecrets(t *testing.T, codes ...string) {
	t.Helper()
	app, ok := r.gh.CreatedApp()
	secrets := append([]string{}, codes...)
	if ok {
		secrets = append(secrets, app.WebhookSecret, app.ClientSecret)
	}
	// Any line of the key's body.
	lines := strings.Split(strings.TrimSpace(string(r.key.PEM)), "\n")
	secrets = append(secrets, lines[1], lines[len(lines)/2])
	for where, text := range map[string]string{"stdout": r.stdout.String(), "logs": r.logs.String(), "pages": r.pages.String()} {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("a secret shows in %s:\n%s", where, text)
			}
		}
	}
}
