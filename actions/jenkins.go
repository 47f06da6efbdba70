package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/switchboard-dev/switchboard/config"
)

// DeliveryParameter is the build parameter name the docs recommend for the
// delivery ID: `SWITCHBOARD_DELIVERY: "{{ .Delivery }}"` under a jenkins
// action's parameters. Switchboard never adds it by itself: Jenkins refuses
// buildWithParameters on a job without parameters, and a job with parameters
// must declare this one for its value to be kept. Any parameter whose value
// is the delivery ID serves the same purpose.
const DeliveryParameter = "SWITCHBOARD_DELIVERY"

// triggerTimeout bounds a trigger request. The request is not cut short by
// the caller's cancellation (a shutdown): a trigger cut off after it was sent
// leaves Switchboard unsure whether Jenkins queued the build.
const triggerTimeout = 60 * time.Second

// Jenkins triggers builds through Jenkins' Remote Access API
// (https://www.jenkins.io/doc/book/using/remote-access-api/).
//
// The idempotency rule, for the README: a build trigger is not idempotent,
// so Switchboard never blindly retries one whose request may have reached
// Jenkins (sent, but no answer came back, or the process died mid-call).
// Give the job a parameter whose value is the delivery ID, by convention
// `SWITCHBOARD_DELIVERY: "{{ .Delivery }}"` (the Jenkins job must declare
// it, or Jenkins drops it). Then such a retry (ctx marked WithInterrupted)
// first looks for a queued or recent build whose parameters carry the
// delivery ID, and triggers only when there is none. Without that
// parameter there is no way to check, and the action fails permanently
// rather than risk a second build. A trigger that never reached Jenkins
// (connection refused, a 503) is retried as usual.
//
// Following the queued build to its result is not done here: the Result's
// Detail is the queue item URL, and Set.FollowBuild, called by a separate
// queue job that reschedules itself, follows it and reports commit statuses.
type Jenkins struct {
	servers map[string]*jenkinsServer
	client  *http.Client
	now     func() time.Time
}

// jenkinsServer is one configured controller, ready to call.
type jenkinsServer struct {
	name     string
	base     *url.URL // path ends in "/"
	user     string
	secret   string   // API token or password
	password bool     // secret is a password: a CSRF crumb is needed
	scrub    []string // forms of the secret that must never reach an error
	// reportTimeout is jenkins.NAME.report_timeout; 0 takes
	// FollowOptions.Deadline.
	reportTimeout time.Duration
}

// newJenkins prepares every server in cfg.Jenkins.
func newJenkins(cfg *config.Config, client *http.Client, now func() time.Time) (*Jenkins, config.Errors) {
	j := &Jenkins{servers: map[string]*jenkinsServer{}, client: client, now: now}
	var errs config.Errors
	names := make([]string, 0, len(cfg.Jenkins))
	for name := range cfg.Jenkins {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := cfg.Jenkins[name]
		if s == nil {
			continue
		}
		key := "jenkins." + name
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, cfg.Errorf(key+".url", "want an absolute http(s) URL such as https://jenkins.example.com/"))
			continue
		}
		if u.User != nil {
			// The URL ends up in commit statuses and logs; credentials go
			// in user and token.
			errs = append(errs, cfg.Errorf(key+".url", "must not carry credentials; give them as user and token"))
			continue
		}
		if s.Token != "" && s.Password != "" {
			errs = append(errs, cfg.Errorf(key, "give token or password, not both"))
			continue
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
			u.RawPath = ""
		}
		srv := &jenkinsServer{name: name, base: u, user: s.User, secret: string(s.Token), reportTimeout: s.ReportTimeout.Std()}
		if s.Password != "" {
			srv.secret, srv.password = string(s.Password), true
		}
		srv.scrub = basicAuthForms(srv.user, srv.secret)
		j.servers[name] = srv
	}
	return j, errs
}

// JenkinsJobPath turns a job name with folders, "a/b/c", into its URL path
// "/job/a/job/b/job/c/", each segment escaped on its own. An empty segment,
// "." or ".." is an error: a rendered name must never walk the URL tree.
func JenkinsJobPath(job string) (string, error) {
	if job == "" {
		return "", errors.New("jenkins job name is empty")
	}
	var b strings.Builder
	for i, seg := range strings.Split(job, "/") {
		switch seg {
		case "":
			return "", fmt.Errorf("jenkins job %q: segment %d is empty", job, i+1)
		case ".", "..":
			return "", fmt.Errorf("jenkins job %q: segment %q is not allowed", job, seg)
		}
		b.WriteString("/job/")
		b.WriteString(url.PathEscape(seg))
	}
	b.WriteString("/")
	return b.String(), nil
}

// Run triggers job.Jenkins: POST .../build, or .../buildWithParameters with
// the parameters form-encoded. Success is 201 Created with the queue item's
// URL in Location, which becomes Result.Detail.
func (j *Jenkins) Run(ctx context.Context, job *Job) (Result, error) {
	if job.Jenkins == nil {
		return Result{}, errMissingFields("jenkins")
	}
	jj := job.Jenkins
	srv, err := j.server(jj.Server)
	if err != nil {
		return Result{}, Permanent(err)
	}
	path, err := JenkinsJobPath(jj.Job)
	if err != nil {
		return Result{}, Permanent(err)
	}
	jobURL := srv.base.String() + strings.TrimPrefix(path, "/")

	if Interrupted(ctx) {
		marker := deliveryMarker(jj.Parameters, job.Delivery)
		if marker == "" {
			return Result{}, Permanentf("jenkins: an earlier attempt to trigger %s may have queued a build, and without a parameter carrying the delivery ID (%s: \"{{ .Delivery }}\") there is no way to check; not triggering again", jj.Job, DeliveryParameter)
		}
		found, err := j.findBuild(ctx, srv, path, jobURL, marker, job.Delivery)
		if err != nil {
			if Classify(err).Outcome == PermanentFailure {
				return Result{}, err
			}
			// Still unsure: the next attempt must check again.
			return Result{}, &UnconfirmedError{Service: "jenkins", Err: err}
		}
		if found != "" {
			return Result{Detail: found, Message: fmt.Sprintf("found the build of %s that an earlier attempt queued on %s", jj.Job, srv.name)}, nil
		}
	}

	client := j.client
	var crumbField, crumb string
	if srv.password {
		// The crumb is bound to the session it was issued in: keep the
		// session cookie for the trigger, in a jar of this run's own.
		jar, _ := cookiejar.New(nil)
		c := *j.client
		c.Jar = jar
		client = &c
		if crumbField, crumb, err = j.crumb(ctx, client, srv); err != nil {
			return Result{}, err
		}
	}
	return j.trigger(ctx, client, srv, job, jobURL, crumbField, crumb)
}

// server finds the named server; the name may be left out when there is one.
func (j *Jenkins) server(name string) (*jenkinsServer, error) {
	if name == "" && len(j.servers) == 1 {
		for _, s := range j.servers {
			return s, nil
		}
	}
	if s, ok := j.servers[name]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("jenkins: no server named %q is configured", name)
}

// crumb fetches a CSRF crumb (GET /crumbIssuer/api/json). A 404 means the
// controller has CSRF protection off: no crumb is needed.
func (j *Jenkins) crumb(ctx context.Context, client *http.Client, srv *jenkinsServer) (field, value string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.base.String()+"crumbIssuer/api/json", nil)
	if err != nil {
		return "", "", Permanent(redactURLError(err))
	}
	j.auth(req, srv)
	resp, err := client.Do(req)
	if err != nil {
		return "", "", redactURLError(err)
	}
	defer drain(resp)
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", "", nil
	case resp.StatusCode != http.StatusOK:
		return "", "", newHTTPError("jenkins", resp, j.now(), srv.scrub)
	}
	var c struct {
		Crumb             string `json:"crumb"`
		CrumbRequestField string `json:"crumbRequestField"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxReadBody)).Decode(&c); err != nil || c.Crumb == "" || c.CrumbRequestField == "" {
		return "", "", errors.New("jenkins: crumb issuer answered without a crumb")
	}
	return c.CrumbRequestField, c.Crumb, nil
}

// trigger sends the build request.
func (j *Jenkins) trigger(ctx context.Context, client *http.Client, srv *jenkinsServer, job *Job, jobURL, crumbField, crumb string) (Result, error) {
	jj := job.Jenkins
	endpoint, body := jobURL+"build", ""
	if len(jj.Parameters) > 0 {
		form := url.Values{}
		for k, v := range jj.Parameters {
			form.Set(k, v)
		}
		endpoint, body = jobURL+"buildWithParameters", form.Encode()
	}

	var wrote atomic.Bool
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), triggerTimeout)
	defer cancel()
	rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		return Result{}, Permanent(redactURLError(err))
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	j.auth(req, srv)
	if crumbField != "" {
		req.Header.Set(crumbField, crumb)
	}
	resp, err := client.Do(req)
	if err != nil {
		err = redactURLError(err)
		if !wrote.Load() {
			return Result{}, err // never reached Jenkins: safe to retry
		}
		return Result{}, unconfirmedTrigger(job, fmt.Errorf("jenkins: no answer to the trigger of %s: %w", jj.Job, err))
	}
	defer drain(resp)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		detail := ""
		if loc, err := resp.Location(); err == nil {
			detail = loc.String()
		}
		return Result{Detail: detail, Message: fmt.Sprintf("queued %s on %s", jj.Job, srv.name)}, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		// Jenkins answers a trigger with 201; a redirect means the URL is
		// wrong (http for https, a missing context path). Never replay a POST.
		return Result{}, &HTTPError{Service: "jenkins", Status: resp.StatusCode,
			Body: "redirected; check the server's url (scheme, host, context path)"}
	}
	herr := newHTTPError("jenkins", resp, j.now(), srv.scrub)
	switch resp.StatusCode {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		// A proxy in front of Jenkins answers 502 or 504 when Jenkins was
		// slow, not necessarily before it queued the build; a 500 may come
		// after the queue took it. A 503 is Jenkins (or the proxy) refusing
		// the request up front: a plain retry.
		return Result{}, unconfirmedTrigger(job, fmt.Errorf("jenkins: the trigger of %s may have queued a build: %w", jj.Job, herr))
	}
	return Result{}, herr
}

// unconfirmedTrigger is the error of a trigger that may have queued a
// build: retried after a check when a parameter carries the delivery ID,
// else not retried at all.
func unconfirmedTrigger(job *Job, err error) error {
	if deliveryMarker(job.Jenkins.Parameters, job.Delivery) == "" {
		return Permanent(fmt.Errorf("%w: not retried, since without a parameter carrying the delivery ID (%s) a retry could queue a second build", err, DeliveryParameter))
	}
	return &UnconfirmedError{Service: "jenkins", Err: err}
}

// auth sends HTTP Basic credentials up front: Jenkins answers 403, not a 401
// challenge, when they are missing.
func (j *Jenkins) auth(req *http.Request, srv *jenkinsServer) {
	req.Header.Set("User-Agent", userAgent)
	if srv.user != "" || srv.secret != "" {
		req.SetBasicAuth(srv.user, srv.secret)
	}
}

// deliveryMarker names the parameter that carries the delivery ID, or "".
func deliveryMarker(params map[string]string, delivery string) string {
	if delivery == "" {
		return ""
	}
	if params[DeliveryParameter] == delivery {
		return DeliveryParameter
	}
	names := make([]string, 0, len(params))
	for k, v := range params {
		if v == delivery {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return names[0]
}

// drain reads what is left of a body (bounded) so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxReadBody))
	_ = resp.Body.Close()
}
