package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// errorf records a problem at key, unless decoding already reported one at
// key, inside it or around it: a value that failed to decode is empty here,
// and saying so again would only repeat the first problem.
func (v *checker) errorf(key, format string, args ...any) {
	for k := range v.earlier {
		if k == key || isUnder(k, key) || isUnder(key, k) {
			return
		}
	}
	v.errs = append(v.errs, &Error{Pos: v.cfg.Pos(key), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// isUnder reports whether key child lies inside key parent.
func isUnder(parent, child string) bool {
	if parent == "" {
		return child != ""
	}
	return len(child) > len(parent) && strings.HasPrefix(child, parent) &&
		(child[len(parent)] == '.' || child[len(parent)] == '[')
}

// validate checks everything but the rules' globs, templates and
// expressions, which package rules compiles.
func (v *checker) validate() {
	v.server()
	v.github()
	v.store()
	v.retry()
	v.jenkins()
	v.slack()
	v.rules()
	v.conversation()
	v.repoRules()
	v.sources()
	v.pullRequests()
}

func (v *checker) server() {
	s := v.cfg.Server
	if _, port, err := net.SplitHostPort(s.Addr); err != nil || port == "" {
		v.errorf("server.addr", `%q is not a host:port address such as ":3000" or "127.0.0.1:3000"`, s.Addr)
	}
	switch p := s.WebhookPath; {
	case !strings.HasPrefix(p, "/"):
		v.errorf("server.webhook_path", `%q must start with "/"`, p)
	case strings.ContainsAny(p, "?# \t\r\n"):
		v.errorf("server.webhook_path", "%q must be a plain path, without a query, a fragment or spaces", p)
	case p == "/healthz" || p == "/readyz" || p == "/metrics":
		v.errorf("server.webhook_path", "%q is already an endpoint of its own", p)
	case strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/ui/") || p == "/ui":
		v.errorf("server.webhook_path", "%q is under /api/ or /ui/, which the admin API and web page use", p)
	}
	// The token guards replays and retries: a short one could be guessed.
	if t := s.AdminToken; t != "" && len(t) < MinAdminTokenLen {
		v.errorf("server.admin_token", "the value is too short: use at least %d characters (for example: openssl rand -hex 32)", MinAdminTokenLen)
	}
	if s.MaxPayloadBytes <= 0 {
		v.errorf("server.max_payload_bytes", "must be greater than 0 (the default is %d, GitHub's own cap)", DefaultMaxPayloadBytes)
	}
	switch least := LeastInflightBodyBytes(s.MaxPayloadBytes); {
	case s.MaxInflightBodyBytes <= 0:
		v.errorf("server.max_inflight_body_bytes", "must be greater than 0 (the default is %d)", DefaultMaxInflightBodyBytes)
	case s.MaxPayloadBytes > 0 && s.MaxInflightBodyBytes < least:
		v.errorf("server.max_inflight_body_bytes", "%d cannot hold one delivery of max_payload_bytes (%d) beside the eighth reserved for deliveries of up to 1 MiB: give at least %d",
			s.MaxInflightBodyBytes, s.MaxPayloadBytes, least)
	}
	if s.ShutdownTimeout <= 0 {
		v.errorf("server.shutdown_timeout", "must be greater than 0")
	}
	v.serverTLS()
}

// LeastInflightBodyBytes is the smallest server.max_inflight_body_bytes
// whose share for large bodies (all but the eighth reserved for deliveries
// of up to 1 MiB, as package handlers splits it) holds one body of
// maxPayload bytes.
func LeastInflightBodyBytes(maxPayload int64) int64 {
	t := maxPayload / 7 * 8
	for t-t/8 < maxPayload {
		t++
	}
	return t
}

func (v *checker) github() {
	g := v.cfg.GitHub
	_, written := v.cfg.positions["github.webhook_secret"]
	switch {
	case len(g.WebhookSecret) == 0 && written:
		v.errorf("github.webhook_secret", "must not be empty: an empty secret would let anyone sign a delivery")
	case len(g.WebhookSecret) == 0:
		v.errorf("github.webhook_secret", "is required: deliveries are accepted only when signed with it")
	}
	for i, s := range g.WebhookSecret {
		if s == "" {
			v.errorf(v.cfg.ItemKey("github.webhook_secret", i), "must not be empty: an empty secret would let anyone sign a delivery")
		}
	}
	switch hasKey := g.PrivateKey != "" || g.PrivateKeyFile != ""; {
	case g.AppID < 0:
		v.errorf("github.app_id", "must be a positive integer")
	case g.AppID > 0 && !hasKey:
		v.errorf("github.app_id", "is set, but neither private_key_file nor private_key is")
	case g.AppID == 0 && hasKey:
		v.errorf("github.app_id", "is required when a private key is given")
	}
	if g.PrivateKey != "" && g.PrivateKeyFile != "" {
		v.errorf("github.private_key", "set private_key_file or private_key, not both")
	}
	if msg := urlProblem(g.APIURL, "https://api.github.com/ or https://HOST/api/v3/"); msg != "" {
		v.errorf("github.api_url", "%s", msg)
	}
}

func (v *checker) store() {
	s := v.cfg.Store
	switch s.Driver {
	case "sqlite":
		if s.DSN == "" {
			v.errorf("store.dsn", "must not be empty: it is the path of the SQLite file")
		}
	case "postgres":
		if s.DSN == "" {
			v.errorf("store.dsn", "is required when driver is postgres (a URL such as postgres://user@host/db)")
		}
	default:
		v.errorf("store.driver", `must be "sqlite" or "postgres", not %q`, s.Driver)
	}
	if s.Workers <= 0 {
		v.errorf("store.workers", "must be greater than 0")
	}
	if s.RescueAfter <= 0 {
		v.errorf("store.rescue_after", "must be greater than 0")
	}
	if s.Retention <= 0 {
		v.errorf("store.retention", "must be greater than 0")
	}
}

func (v *checker) retry() {
	r := v.cfg.Retry
	if r.MaxAttempts < 1 {
		v.errorf("retry.max_attempts", "must be at least 1")
	}
	if r.InitialBackoff <= 0 {
		v.errorf("retry.initial_backoff", "must be greater than 0")
	}
	if r.MaxBackoff <= 0 {
		v.errorf("retry.max_backoff", "must be greater than 0")
	}
	if r.InitialBackoff > 0 && r.MaxBackoff > 0 && r.InitialBackoff > r.MaxBackoff {
		v.errorf("retry.initial_backoff", "%s is greater than max_backoff (%s)", r.InitialBackoff.Std(), r.MaxBackoff.Std())
	}
}

func (v *checker) jenkins() {
	for _, name := range sortedNames(v.cfg.Jenkins) {
		s, key := v.cfg.Jenkins[name], joinKey("jenkins", name)
		if name == "" {
			v.errorf("jenkins", "a server name must not be empty")
		}
		switch msg := urlProblem(s.URL, "https://jenkins.example.com/"); {
		case s.URL == "":
			v.errorf(key+".url", "is required")
		case msg != "":
			v.errorf(key+".url", "%s", msg)
		}
		if s.User == "" {
			v.errorf(key+".user", "is required: Jenkins takes the API token (or password) with a user name")
		}
		switch {
		case s.Token == "" && s.Password == "":
			v.errorf(key+".token", "is required (or password)")
		case s.Token != "" && s.Password != "":
			v.errorf(key+".password", "set token or password, not both")
		}
		if s.ReportTimeout <= 0 {
			v.errorf(key+".report_timeout", "must be greater than 0")
		}
	}
}

func (v *checker) slack() {
	for _, name := range sortedNames(v.cfg.Slack) {
		s, key := v.cfg.Slack[name], joinKey("slack", name)
		if name == "" {
			v.errorf("slack", "a connection name must not be empty")
		}
		switch {
		case s.Token == "" && s.WebhookURL == "":
			v.errorf(key, "needs token (a bot token) or webhook_url (an incoming webhook)")
		case s.Token != "" && s.WebhookURL != "":
			v.errorf(key+".webhook_url", "set token or webhook_url, not both")
		}
		// The webhook URL is a secret: the message must not quote it.
		if s.WebhookURL != "" {
			if msg := urlProblem(string(s.WebhookURL), ""); msg != "" {
				v.errorf(key+".webhook_url", "%s", msg)
			}
		}
		if msg := urlProblem(s.APIURL, "https://slack.com/api/"); msg != "" {
			v.errorf(key+".api_url", "%s", msg)
		}
	}
}

// urlProblem says what is wrong with u as the base address of a service, or
// "" when nothing is, giving example as a well-formed one. It never quotes u,
// which may hold a secret.
func urlProblem(u, example string) string {
	p, err := url.Parse(u)
	switch {
	case err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https"):
		if example != "" {
			return "must be an absolute http or https URL, such as " + example
		}
		return "must be an absolute http or https URL"
	case p.User != nil:
		return "must not hold credentials"
	case p.RawQuery != "" || p.Fragment != "":
		return "must not have a query or a fragment"
	}
	return ""
}
