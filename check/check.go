// Package check tries every connection a configuration names the way the
// running server uses it: the GitHub App (GET /app with its JWT), each
// Jenkins (who the credentials are, the crumb, each job named without a
// template), each Slack connection (auth.test, the channels' membership
// where the token may read it) and the store (open, migrate, write). It is
// what `switchboard check` prints, one line per connection.
package check

import (
	"context"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/config"
)

// Status is the outcome of one connection's check.
type Status string

// Statuses.
const (
	OK   Status = "OK"
	Fail Status = "FAIL"
	// Skip is a connection that is not configured and not needed.
	Skip Status = "SKIP"
)

// Result is one connection's line.
type Result struct {
	// Name is "github app", "jenkins NAME", "slack NAME" or "store".
	Name   string
	Status Status
	// Detail says what was found, or every problem, "; " between them. It
	// never holds a secret.
	Detail string
}

// String is the line `switchboard check` prints.
func (r Result) String() string { return r.Name + ": " + string(r.Status) + " " + r.Detail }

// Options configure Run.
type Options struct {
	Config *config.Config
	// HTTPClient makes every call; a default with a 30 s timeout when nil.
	HTTPClient *http.Client
	// Logger is handed to the clients; nil discards.
	Logger *logrus.Entry
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Run checks every connection, in a fixed order: the GitHub App, the
// Jenkins servers and Slack connections by name, the store.
func Run(ctx context.Context, o Options) []Result {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		o.Logger = logrus.NewEntry(l)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := o.Config
	out := []Result{gitHub(ctx, o)}
	for _, name := range slices.Sorted(maps.Keys(cfg.Jenkins)) {
		out = append(out, jenkins(ctx, o, name, cfg.Jenkins[name]))
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Slack)) {
		out = append(out, slackConn(ctx, o, name, cfg.Slack[name]))
	}
	return append(out, storeCheck(ctx, o))
}

// Failed reports whether any result is a failure.
func Failed(rs []Result) bool {
	for _, r := range rs {
		if r.Status == Fail {
			return true
		}
	}
	return false
}

// result makes a line from what was found and the problems met.
func result(name string, problems, found []string) Result {
	if len(problems) > 0 {
		return Result{Name: name, Status: Fail, Detail: strings.Join(problems, "; ")}
	}
	return Result{Name: name, Status: OK, Detail: strings.Join(found, "; ")}
}

// static reports whether a templated field is plain text, so that its value
// is known before any event comes.
func static(s string) bool { return !strings.Contains(s, "{{") }

// plural is "1 job" or "2 jobs".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
