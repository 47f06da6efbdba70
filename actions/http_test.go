package actions

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/config"
)

// GitHub's documented test vector for X-Hub-Signature-256
// (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
const (
	vectorSecret    = "It's a Secret to Everybody"
	vectorBody      = "Hello, World!"
	vectorSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

func TestSignMatchesGitHubTestVector(t *testing.T) {
	if got := Sign(vectorSecret, []byte(vectorBody)); got != vectorSignature {
		t.Fatalf("Sign = %s, want %s", got, vectorSignature)
	}
}

// received is one request a recorder server saw.
type received struct {
	method string
	header http.Header
	body   string
}

// recorder answers every request with status and records it.
func recorder(t *testing.T, status int, header http.Header, answer string) (*httptest.Server, func() []received) {
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{method: r.Method, header: r.Header.Clone(), body: string(b)})
		mu.Unlock()
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

// httpConfig is a config whose rule "deploy" has an http action with secret.
func httpConfig(secret config.Secret) *config.Config {
	return &config.Config{Rules: []*config.Rule{{
		Name: "deploy",
		Do:   []*config.Action{{Log: &config.LogAction{Message: "x"}}, {HTTP: &config.HTTPAction{Secret: secret}}},
	}}}
}

func httpJob(url string, body *string, signed bool) *Job {
	return &Job{Delivery: "d-7", Event: "push", Rule: "deploy", Index: 1, Kind: "http",
		HTTP: &HTTPJob{URL: url, Body: body, Signed: signed}}
}

func TestHTTPSignsLikeGitHub(t *testing.T) {
	srv, got := recorder(t, http.StatusOK, nil, "")
	s, _ := testSet(t, httpConfig(vectorSecret), Deps{})
	body := vectorBody
	if _, err := run(t, s, context.Background(), httpJob(srv.URL+"/hook", &body, true)); err != nil {
		t.Fatalf("Run: %v", err)
	}
	r := got()
	if len(r) != 1 {
		t.Fatalf("%d requests, want 1", len(r))
	}
	if sig := r[0].header.Get(SignatureHeader); sig != vectorSignature {
		t.Errorf("%s = %q, want GitHub's %q", SignatureHeader, sig, vectorSignature)
	}
	if r[0].method != http.MethodPost || r[0].body != vectorBody {
		t.Errorf("request = %s %q, want POST %q", r[0].method, r[0].body, vectorBody)
	}
	if r[0].header.Get("X-GitHub-Delivery") != "d-7" || r[0].header.Get("X-GitHub-Event") != "push" {
		t.Errorf("delivery/event headers = %q/%q", r[0].header.Get("X-GitHub-Delivery"), r[0].header.Get("X-GitHub-Event"))
	}
}

// payloads is a PayloadSource over a map, standing in for the store.
type payloads map[string][]byte

func (p payloads) Payload(_ context.Context, delivery string) ([]byte, error) {
	b, ok := p[delivery]
	if !ok {
		return nil, errors.New("no such delivery")
	}
	return b, nil
}

func TestHTTPSendsTheRawPayloadByDefault(t *testing.T) {
	srv, got := recorder(t, http.StatusNoContent, nil, "")
	raw := []byte(`{"ref":"refs/heads/main","after":"0123"}`)
	s, _ := testSet(t, httpConfig("s3cr3t-value"), Deps{Payloads: payloads{"d-7": raw}})
	job := httpJob(srv.URL+"/relay", nil, true)
	job.HTTP.Method = "put"
	job.HTTP.Headers = map[string]string{"X-Env": "prod", "Content-Type": "application/vnd.custom+json"}
	res, err := run(t, s, context.Background(), job)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	r := got()[0]
	if r.method != http.MethodPut || r.body != string(raw) {
		t.Errorf("request = %s %q, want PUT of the raw payload", r.method, r.body)
	}
	if r.header.Get("X-Env") != "prod" || r.header.Get("Content-Type") != "application/vnd.custom+json" {
		t.Errorf("headers = %v", r.header)
	}
	if r.header.Get(SignatureHeader) != Sign("s3cr3t-value", raw) {
		t.Errorf("signature %q does not sign the payload", r.header.Get(SignatureHeader))
	}
	if res.Detail != "HTTP 204" {
		t.Errorf("Detail = %q", res.Detail)
	}
}

func TestHTTPAnswers(t *testing.T) {
	tests := map[string]struct {
		status int
		header http.Header
		want   Outcome
		after  time.Duration
	}{
		"200":                  {status: 200, want: Success},
		"202":                  {status: 202, want: Success},
		"400":                  {status: 400, want: PermanentFailure},
		"404":                  {status: 404, want: PermanentFailure},
		"410":                  {status: 410, want: PermanentFailure},
		"301 is not followed":  {status: 301, header: http.Header{"Location": {"/x"}}, want: PermanentFailure},
		"408":                  {status: 408, want: Retry},
		"429 with Retry-After": {status: 429, header: http.Header{"Retry-After": {"120"}}, want: Retry, after: 2 * time.Minute},
		"500":                  {status: 500, want: Retry},
		"503":                  {status: 503, want: Retry},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv, got := recorder(t, tc.status, tc.header, "<html><title>nope</title></html>")
			s, _ := testSet(t, httpConfig(""), Deps{})
			body := "{}"
			_, err := run(t, s, context.Background(), httpJob(srv.URL, &body, false))
			if v := wantOutcome(t, err, tc.want); v.After != tc.after {
				t.Errorf("After = %v, want %v", v.After, tc.after)
			}
			if n := len(got()); n != 1 {
				t.Errorf("%d requests, want exactly 1", n)
			}
		})
	}
}

func TestHTTPRefusesWithoutARequest(t *testing.T) {
	srv, got := recorder(t, http.StatusOK, nil, "")
	body := "{}"
	tests := map[string]struct {
		cfg *config.Config
		job *Job
	}{
		"signed without a secret": {httpConfig(""), httpJob(srv.URL, &body, true)},
		"no such rule":            {httpConfig("x"), &Job{Rule: "other", Index: 1, Kind: "http", HTTP: &HTTPJob{URL: srv.URL, Body: &body, Signed: true}}},
		"not an http URL":         {httpConfig(""), httpJob("file:///etc/passwd", &body, false)},
		"relative URL":            {httpConfig(""), httpJob("/hook", &body, false)},
		"no payload source":       {httpConfig(""), httpJob(srv.URL, nil, false)},
		"host not in allow_hosts": {httpConfig(""), func() *Job {
			j := httpJob(srv.URL, &body, false)
			j.HTTP.AllowHosts = []string{"hooks.example.com"}
			return j
		}()},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, _ := testSet(t, tc.cfg, Deps{})
			_, err := run(t, s, context.Background(), tc.job)
			wantOutcome(t, err, PermanentFailure)
		})
	}
	if n := len(got()); n != 0 {
		t.Fatalf("%d requests, want none", n)
	}
}

func TestHTTPErrorBodyIsShortAndPlain(t *testing.T) {
	page := "<html><head><style>body{}</style><script>x()</script></head><body><p>" + strings.Repeat("very long ", 200) + "</p></body></html>"
	srv, _ := recorder(t, http.StatusBadGateway, http.Header{"Content-Type": {"text/html"}}, page)
	s, _ := testSet(t, httpConfig(""), Deps{})
	body := "{}"
	_, err := run(t, s, context.Background(), httpJob(srv.URL, &body, false))
	var herr *HTTPError
	if !errors.As(err, &herr) {
		t.Fatalf("error %T %v, want *HTTPError", err, err)
	}
	if strings.ContainsAny(herr.Body, "<>") || strings.Contains(herr.Body, "x()") || len([]rune(herr.Body)) > maxErrorBody {
		t.Fatalf("body %q is not short plain text", herr.Body)
	}
}
