package config

import (
	"sort"
	"strings"
	"time"
)

// Defaults, for keys that are not written (or written empty).
const (
	DefaultAddr            = ":3000"
	DefaultWebhookPath     = "/webhook"
	DefaultMaxPayloadBytes = 25 << 20 // GitHub's own cap on a delivery
	DefaultShutdownTimeout = Duration(30 * time.Second)
	// MinAdminTokenLen is the shortest server.admin_token accepted.
	MinAdminTokenLen = 16
	// DefaultMaxInflightBodyBytes bounds the bodies in flight: two
	// deliveries of GitHub's 25 MB cap, beside the reserved eighth.
	DefaultMaxInflightBodyBytes = 64 << 20
	DefaultGitHubAPIURL         = "https://api.github.com/"
	DefaultCatchUpInterval      = Duration(10 * time.Minute)
	DefaultStoreDriver          = "sqlite"
	DefaultSQLiteDSN            = "switchboard.db"
	DefaultWorkers              = 20
	DefaultRescueAfter          = Duration(time.Minute)
	DefaultRetention            = Duration(7 * 24 * time.Hour)
	DefaultReportTimeout        = Duration(6 * time.Hour)
	DefaultMaxAttempts          = 20
	DefaultInitialBackoff       = Duration(time.Second)
	DefaultMaxBackoff           = Duration(10 * time.Minute)
	DefaultSlackAPIURL          = "https://slack.com/api/"
	DefaultHTTPMethod           = "POST"
)

// checker applies defaults to a decoded Config and validates it, in one
// pass after decoding.
type checker struct {
	cfg     *Config
	written map[string]bool // keys given a non-null value in the file
	earlier map[string]bool // keys that already have a problem from decoding
	errs    Errors
}

// unset reports whether key was left out (or written null), so its default
// applies. A written value, even 0 or "", is the user's and is validated.
func (v *checker) unset(key string) bool { return !v.written[key] }

// applyDefaults fills what was not written, and replaces null entries (a
// rule or action written as an empty item) with empty values, so that
// nothing downstream meets a nil.
func (v *checker) applyDefaults() {
	c := v.cfg
	if v.unset("server.addr") {
		c.Server.Addr = DefaultAddr
	}
	if v.unset("server.webhook_path") {
		c.Server.WebhookPath = DefaultWebhookPath
	}
	if v.unset("server.max_payload_bytes") {
		c.Server.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	if v.unset("server.max_inflight_body_bytes") {
		c.Server.MaxInflightBodyBytes = DefaultMaxInflightBodyBytes
	}
	if v.unset("server.shutdown_timeout") {
		c.Server.ShutdownTimeout = DefaultShutdownTimeout
	}

	if v.unset("github.api_url") {
		c.GitHub.APIURL = DefaultGitHubAPIURL
	}
	c.GitHub.APIURL = withSlash(c.GitHub.APIURL)
	// 0 written means never; only a missing key takes the default.
	if v.unset("github.catch_up_interval") {
		c.GitHub.CatchUpInterval = DefaultCatchUpInterval
	}

	if v.unset("store.driver") {
		c.Store.Driver = DefaultStoreDriver
	}
	if v.unset("store.dsn") && c.Store.Driver == "sqlite" {
		c.Store.DSN = DefaultSQLiteDSN
	}
	if v.unset("store.workers") {
		c.Store.Workers = DefaultWorkers
	}
	if v.unset("store.rescue_after") {
		c.Store.RescueAfter = DefaultRescueAfter
	}
	if v.unset("store.retention") {
		c.Store.Retention = DefaultRetention
	}

	if v.unset("retry.max_attempts") {
		c.Retry.MaxAttempts = DefaultMaxAttempts
	}
	if v.unset("retry.initial_backoff") {
		c.Retry.InitialBackoff = DefaultInitialBackoff
	}
	if v.unset("retry.max_backoff") {
		c.Retry.MaxBackoff = DefaultMaxBackoff
	}

	for name, s := range c.Jenkins {
		if s == nil {
			s = &JenkinsServer{}
			c.Jenkins[name] = s
		}
		if v.unset("jenkins." + name + ".report_timeout") {
			s.ReportTimeout = DefaultReportTimeout
		}
	}
	for name, s := range c.Slack {
		if s == nil {
			s = &SlackConnection{}
			c.Slack[name] = s
		}
		if v.unset("slack." + name + ".api_url") {
			s.APIURL = DefaultSlackAPIURL
		}
		s.APIURL = withSlash(s.APIURL)
	}

	v.conversationDefaults()
	v.repoRulesDefaults()
	v.ruleDefaults()
}

// ruleDefaults fills the rules' unwritten values; a repository's file
// (ParseRepo) gets only these.
func (v *checker) ruleDefaults() {
	c := v.cfg
	onlyJenkins, onlySlack := onlyName(c.Jenkins), onlyName(c.Slack)
	for i, r := range c.Rules {
		if r == nil {
			r = &Rule{}
			c.Rules[i] = r
		}
		for j, a := range r.Do {
			if a == nil {
				a = &Action{}
				r.Do[j] = a
			}
			v.fillKinds(c.ActionKey(i, j), a)
			if a.Jenkins != nil && a.Jenkins.Server == "" {
				a.Jenkins.Server = onlyJenkins
			}
			if a.Slack != nil && a.Slack.Connection == "" {
				a.Slack.Connection = onlySlack
			}
			if a.HTTP != nil && v.unset(c.ActionKey(i, j)+".http.method") {
				a.HTTP.Method = DefaultHTTPMethod
			}
		}
	}
}

// fillKinds gives a kind written with an empty value (`- log:`) an empty
// value of its type, so that Kind sees it and validation names its missing
// fields rather than saying no kind was given.
func (v *checker) fillKinds(key string, a *Action) {
	present := func(kind string) bool {
		_, ok := v.cfg.positions[key+"."+kind]
		return ok
	}
	if a.Jenkins == nil && present("jenkins") {
		a.Jenkins = &JenkinsAction{}
	}
	if a.Slack == nil && present("slack") {
		a.Slack = &SlackAction{}
	}
	if a.Comment == nil && present("comment") {
		a.Comment = new(string)
	}
	if a.Label == nil && present("label") {
		a.Label = &LabelAction{}
	}
	if a.Status == nil && present("status") {
		a.Status = &StatusAction{}
	}
	if a.HTTP == nil && present("http") {
		a.HTTP = &HTTPAction{}
	}
	if a.Log == nil && present("log") {
		a.Log = &LogAction{}
	}
}

// onlyName returns the one key of m, or "" unless there is exactly one.
func onlyName[V any](m map[string]V) string {
	if len(m) != 1 {
		return ""
	}
	for k := range m {
		return k
	}
	return ""
}

// sortedNames returns the keys of m in order, for stable messages.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// withSlash ends a non-empty base URL with "/": go-github and slack-go join
// paths onto it and need the slash.
func withSlash(u string) string {
	if u != "" && !strings.HasSuffix(u, "/") {
		return u + "/"
	}
	return u
}
