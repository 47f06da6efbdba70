// Package actions runs rendered actions (Jobs): one small Runner per kind,
// one file per kind, and one place, Classify, that decides whether a failure
// is worth another attempt. It knows nothing of webhook intake or rules: a
// Job is all it gets, and secrets are looked up here, at run time, never
// stored in a Job.
package actions

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
)

// Runner runs one kind of action.
type Runner interface {
	Run(ctx context.Context, job *Job) (Result, error)
}

// Result is what a successful run leaves for the outcome record.
type Result struct {
	// Detail identifies what the action created: for Jenkins the queue item
	// URL (or the build URL when a retry found the build already there), for
	// Slack the channel and message timestamp, for http the status.
	Detail string
	// Message is one human line about what happened.
	Message string
}

// PayloadSource gives a delivery's raw payload, for an http action without a
// body. The store implements it.
type PayloadSource interface {
	Payload(ctx context.Context, delivery string) ([]byte, error)
}

// SecretSource gives the signing secret of the http action at position index
// of rule's do: list. It is asked at run time, so secrets never sit in the
// queue.
type SecretSource interface {
	HTTPSecret(rule string, index int) (string, bool)
}

// Deps is what the runners need from outside.
type Deps struct {
	// Logger is where the log action writes. Default: a new logrus logger.
	Logger *logrus.Entry
	// HTTPClient makes every call. Default: DefaultHTTPClient(). Runners use
	// a copy that never follows redirects: a redirected POST is a wrong URL,
	// not something to replay elsewhere.
	HTTPClient *http.Client
	// Payloads gives the raw payload for an http action without a body.
	Payloads PayloadSource
	// Secrets gives http signing secrets. Default: ConfigSecrets(cfg).
	Secrets SecretSource
	// Now is the clock, for Retry-After dates. Default: time.Now.
	Now func() time.Time
	// GitHub makes installation clients for the comment, label and status
	// runners and for reporting followed builds; nil means no App
	// credentials, and those kinds are then unavailable.
	GitHub *githubapp.Creator
	// Follow bounds how builds of jenkins actions with report: true are
	// followed; zero fields take the defaults (a 6h deadline, checks 2s
	// apart doubling to 30s).
	Follow FollowOptions
}

// userAgent is sent with every request, so a service's logs name the caller.
const userAgent = "Switchboard"

// Set is every runner, by kind.
type Set struct {
	runners     map[string]Runner
	unavailable map[string]string
	follow      *follower
}

// Compile-time checks that every runner is a Runner.
var (
	_ Runner = (*Log)(nil)
	_ Runner = (*Jenkins)(nil)
	_ Runner = (*Slack)(nil)
	_ Runner = (*HTTP)(nil)
	_ Runner = (*Comment)(nil)
	_ Runner = (*Label)(nil)
	_ Runner = (*Status)(nil)
	_ Runner = (*unavailableRunner)(nil)
	_ Runner = (*Set)(nil)
)

// New builds a runner for every action kind from cfg and d. It fails on
// connection settings that no run could get past (a Jenkins URL that is not
// an absolute http(s) URL, a Slack connection with neither token nor webhook),
// each error placed at its key in the config file.
func New(cfg *config.Config, d Deps) (*Set, error) {
	if d.Logger == nil {
		d.Logger = logrus.NewEntry(logrus.New())
	}
	if d.HTTPClient == nil {
		d.HTTPClient = DefaultHTTPClient()
	}
	if d.Secrets == nil {
		d.Secrets = ConfigSecrets(cfg)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	client := noRedirects(d.HTTPClient)

	var errs config.Errors
	jenkins, jerrs := newJenkins(cfg, client, d.Now)
	errs = append(errs, jerrs...)
	slackRunner, serrs := newSlack(cfg, client, d.Now)
	errs = append(errs, serrs...)
	if err := errs.Err(); err != nil {
		return nil, err
	}

	s := &Set{
		runners: map[string]Runner{
			"log":     &Log{logger: d.Logger},
			"jenkins": jenkins,
			"slack":   slackRunner,
			"http":    &HTTP{client: client, payloads: d.Payloads, secrets: d.Secrets, now: d.Now},
		},
		unavailable: map[string]string{},
		follow:      &follower{jenkins: jenkins, opts: d.Follow.withDefaults(), now: d.Now},
	}
	if d.GitHub != nil {
		gh := &gitHub{creator: d.GitHub, now: d.Now}
		s.runners["comment"] = &Comment{gh: gh}
		s.runners["label"] = &Label{gh: gh}
		s.runners["status"] = &Status{gh: gh}
		s.follow.gh = gh
		return s, nil
	}
	// The kinds that act on GitHub fail permanently without App
	// credentials: retrying cannot bring them.
	for _, kind := range []string{"comment", "label", "status"} {
		s.runners[kind] = &unavailableRunner{msg: fmt.Sprintf("%s action needs GitHub App credentials (github.app_id and a private key)", kind)}
		s.unavailable[kind] = "no GitHub App credentials"
	}
	// A jenkins action still triggers its build; report: true cannot set
	// the commit statuses.
	s.unavailable[KindJenkinsReport] = "no GitHub App credentials: builds are triggered, their results are not reported"
	return s, nil
}

// Run runs job with the runner of its kind. An unknown kind, or a job
// without the fields of its kind, is a permanent error.
func (s *Set) Run(ctx context.Context, job *Job) (Result, error) {
	if job == nil {
		return Result{}, Permanentf("no job")
	}
	r, ok := s.runners[job.Kind]
	if !ok {
		return Result{}, Permanentf("unknown action kind %q", job.Kind)
	}
	return r.Run(ctx, job)
}

// KindJenkinsReport names, in Unavailable, the report: true part of the
// jenkins action.
const KindJenkinsReport = "jenkins report"

// Unavailable lists the kinds that cannot run in this process, and why (for
// example "comment": "no GitHub App credentials"), for serve to say at start.
func (s *Set) Unavailable() map[string]string {
	out := make(map[string]string, len(s.unavailable))
	for k, v := range s.unavailable {
		out[k] = v
	}
	return out
}

// Kinds lists the kinds the Set knows, sorted.
func (s *Set) Kinds() []string {
	kinds := make([]string, 0, len(s.runners))
	for k := range s.runners {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// unavailableRunner stands in for a kind that cannot run here.
type unavailableRunner struct{ msg string }

// Run fails permanently: retrying cannot bring the credentials.
func (u *unavailableRunner) Run(context.Context, *Job) (Result, error) {
	return Result{}, Permanent(errors.New(u.msg))
}

// DefaultHTTPClient is a client with timeouts on every stage, so a stuck
// service cannot hold a worker forever.
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}

// noRedirects returns a copy of c that hands redirects back to the caller.
func noRedirects(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// ConfigSecrets reads http signing secrets from cfg's rules.
func ConfigSecrets(cfg *config.Config) SecretSource { return configSecrets{cfg} }

type configSecrets struct{ cfg *config.Config }

// HTTPSecret implements SecretSource.
func (c configSecrets) HTTPSecret(rule string, index int) (string, bool) {
	if c.cfg == nil {
		return "", false
	}
	for _, r := range c.cfg.Rules {
		if r == nil || r.Name != rule {
			continue
		}
		if index < 0 || index >= len(r.Do) || r.Do[index] == nil || r.Do[index].HTTP == nil {
			return "", false
		}
		s := string(r.Do[index].HTTP.Secret)
		return s, s != ""
	}
	return "", false
}

// errMissingFields is returned for a job whose kind's fields are absent.
func errMissingFields(kind string) error {
	return Permanent(fmt.Errorf("%s job has no %s fields", kind, kind))
}
