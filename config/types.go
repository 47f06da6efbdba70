// Package config holds Switchboard's configuration schema, loads it from YAML,
// expands ${VAR} references and validates it, naming every problem by its file,
// line, column and YAML key.
package config

// Config is the whole of one switchboard.yml, after defaults are applied.
type Config struct {
	Server  Server                      `yaml:"server"`
	GitHub  GitHub                      `yaml:"github"`
	Store   Store                       `yaml:"store"`
	Retry   Retry                       `yaml:"retry"`
	Jenkins map[string]*JenkinsServer   `yaml:"jenkins"`
	Slack   map[string]*SlackConnection `yaml:"slack"`
	Rules   []*Rule                     `yaml:"rules"`
	// Commands configures comment commands on pull requests (commands.go).
	Commands Commands `yaml:"commands"`
	// RepoRules is the policy for rules repositories write in their own
	// .github/switchboard.yml (repo_rules.go).
	RepoRules RepoRules `yaml:"repo_rules"`
	// PullRequests holds untrusted fork pull requests (pull_requests.go).
	PullRequests PullRequests `yaml:"pull_requests"`
	// Sources are the signed webhook sources besides GitHub (sources.go).
	Sources Sources `yaml:"sources"`

	// File is the path the configuration was loaded from.
	File string `yaml:"-"`
	// positions maps a key path such as "rules[0].do[1].jenkins.job" to where
	// its value stands in File.
	positions map[string]Position
	// scrub replaces secrets and values read from the environment in an
	// error message (nil: nothing to replace). It is a closure so that
	// printing a Config cannot show the values it holds.
	scrub func(string) string
}

// Server configures the HTTP listener.
type Server struct {
	Addr            string   `yaml:"addr"`              // default ":3000"
	WebhookPath     string   `yaml:"webhook_path"`      // default "/webhook"
	MaxPayloadBytes int64    `yaml:"max_payload_bytes"` // default 25 MiB
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`  // default 30s
	// MaxInflightBodyBytes bounds the bytes of request bodies being read or
	// held at once, across all requests, and of stored payloads being
	// processed; an eighth is reserved for deliveries of up to 1 MiB.
	MaxInflightBodyBytes int64 `yaml:"max_inflight_body_bytes"` // default 64 MiB
	// AdminToken turns on the admin API (/api/v1) and the web page (/ui/):
	// callers present it as a Bearer token. Empty: both are off (404).
	AdminToken Secret `yaml:"admin_token"`
	// TLS, when set, serves HTTPS; plain HTTP otherwise (behind a proxy).
	TLS *TLS `yaml:"tls"`
}

// TLS names the certificate and key files of the HTTPS listener. Both are
// read at start and again whenever either file changes.
type TLS struct {
	CertFile string `yaml:"cert_file"` // PEM: the certificate, then any intermediates
	KeyFile  string `yaml:"key_file"`  // PEM: its private key
}

// GitHub configures the GitHub App.
type GitHub struct {
	AppID           int64      `yaml:"app_id"`
	PrivateKeyFile  string     `yaml:"private_key_file"`
	PrivateKey      Secret     `yaml:"private_key"`
	WebhookSecret   SecretList `yaml:"webhook_secret"`    // required; several while rotating
	APIURL          string     `yaml:"api_url"`           // default https://api.github.com/
	CatchUpInterval Duration   `yaml:"catch_up_interval"` // default 10m; 0 = never
}

// Store configures the durable queue and delivery log.
type Store struct {
	Driver string `yaml:"driver"` // "sqlite" (default) or "postgres"
	// DSN is a file path for sqlite, a postgres:// URL for postgres. It is a
	// Secret because a Postgres URL may carry a password.
	DSN Secret `yaml:"dsn"` // default "switchboard.db" for sqlite
	// Workers is how many queued jobs River runs at once in this process;
	// as many first attempts of actions decided at intake run beside them.
	Workers int `yaml:"workers"` // default 20
	// RescueAfter is how long a job may stay "running" before it is taken to
	// belong to a dead process and run again.
	RescueAfter Duration `yaml:"rescue_after"` // default 1m
	// Retention is how long delivered payloads and finished jobs are kept.
	Retention Duration `yaml:"retention"` // default 168h
}

// Retry is the backoff used for every action.
type Retry struct {
	MaxAttempts    int      `yaml:"max_attempts"`    // default 20
	InitialBackoff Duration `yaml:"initial_backoff"` // default 1s
	MaxBackoff     Duration `yaml:"max_backoff"`     // default 10m
}

// JenkinsServer is one named Jenkins controller.
type JenkinsServer struct {
	URL      string `yaml:"url"`
	User     string `yaml:"user"`
	Token    Secret `yaml:"token"`    // API token: no CSRF crumb needed
	Password Secret `yaml:"password"` // password: a crumb is fetched first
	// ReportTimeout is how long a build of a jenkins action with report:
	// true is followed before its commit status is set to "error".
	ReportTimeout Duration `yaml:"report_timeout"` // default 6h
}

// SlackConnection is one named Slack bot token or incoming webhook.
type SlackConnection struct {
	Token      Secret `yaml:"token"`
	WebhookURL Secret `yaml:"webhook_url"`
	APIURL     string `yaml:"api_url"` // default https://slack.com/api/
}

// Rule is one entry under rules:.
type Rule struct {
	Name string     `yaml:"name"`
	On   StringList `yaml:"on"`
	If   Conditions `yaml:"if"`
	Do   []*Action  `yaml:"do"`
	// Supersede cancels this rule's work for an older event of the same
	// branch (push) or pull request when a newer one arrives.
	Supersede bool `yaml:"supersede"`
	// AbortRunning also stops superseded builds that already run.
	AbortRunning bool `yaml:"abort_running"`
	// AllowSelf lets deliveries caused by the App's own bot account match.
	AllowSelf bool `yaml:"allow_self"`
	// TrustedOnly false lets the rule run for pull requests held for
	// /ok-to-test (harmless actions: a welcome comment, a label).
	TrustedOnly *bool `yaml:"trusted_only"`
}

// Conditions are the tests under a rule's if:; every one given must hold.
type Conditions struct {
	Repository StringList `yaml:"repository"`
	Branches   StringList `yaml:"branches"`
	Tags       StringList `yaml:"tags"`
	Base       StringList `yaml:"base"`
	Head       StringList `yaml:"head"`
	Paths      StringList `yaml:"paths"`
	Labels     StringList `yaml:"labels"`
	Authors    StringList `yaml:"authors"`
	Draft      *bool      `yaml:"draft"`
	Expr       string     `yaml:"expr"`
}

// Action is one entry under a rule's do:. Exactly one field is set; its name is
// the action's kind.
type Action struct {
	Jenkins *JenkinsAction `yaml:"jenkins"`
	Slack   *SlackAction   `yaml:"slack"`
	Comment *string        `yaml:"comment"`
	Label   *LabelAction   `yaml:"label"`
	Status  *StatusAction  `yaml:"status"`
	HTTP    *HTTPAction    `yaml:"http"`
	Log     *LogAction     `yaml:"log"`
}

// JenkinsAction triggers a Jenkins job.
type JenkinsAction struct {
	Server     string            `yaml:"server"` // may be empty when one server is configured
	Job        string            `yaml:"job"`    // templated; folders as a/b/c
	Parameters map[string]string `yaml:"parameters"`
	Report     ReportMode        `yaml:"report"`  // true/status: commit status; check: check run
	Context    string            `yaml:"context"` // default "jenkins/<job>"
}

// SlackAction posts a Slack message.
type SlackAction struct {
	Connection string `yaml:"connection"` // may be empty when one connection is configured
	Channel    string `yaml:"channel"`
	Text       string `yaml:"text"`
	Blocks     string `yaml:"blocks"` // Block Kit JSON, templated
}

// LabelAction adds and removes labels on the event's issue or pull request.
type LabelAction struct {
	Add    StringList `yaml:"add"`
	Remove StringList `yaml:"remove"`
}

// StatusAction sets a commit status on the event's SHA.
type StatusAction struct {
	Context     string `yaml:"context"`
	State       string `yaml:"state"`
	Description string `yaml:"description"`
	TargetURL   string `yaml:"target_url"`
}

// HTTPAction calls another HTTP endpoint.
type HTTPAction struct {
	URL     string            `yaml:"url"`
	Method  string            `yaml:"method"` // default POST
	Body    *string           `yaml:"body"`   // default: the raw payload
	Headers map[string]string `yaml:"headers"`
	Secret  Secret            `yaml:"secret"`
	// AllowHosts, when given, are the globs (path.Match, such as
	// "*.example.com" or "hooks.example.com:8443") that the URL's host, and
	// the host of every redirect, must match.
	AllowHosts StringList `yaml:"allow_hosts"`
}

// LogAction writes a log line.
type LogAction struct {
	Message string `yaml:"message"`
}
