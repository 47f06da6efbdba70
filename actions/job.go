package actions

import "fmt"

// Job is one rendered action, ready to run. It is plain, serialisable data: it
// is stored as the queue job's arguments, so what runs is what was rendered
// when the delivery was processed, whatever the configuration says later.
// Secrets are never part of a Job; runners look them up by name.
type Job struct {
	Delivery string `json:"delivery"`
	Event    string `json:"event"`
	Rule     string `json:"rule"`
	Index    int    `json:"index"` // position of the action in the rule's do:
	Kind     string `json:"kind"`  // jenkins, slack, comment, label, status, http, log

	Target Target `json:"target"`
	// Supersede, when set, lets a newer event of the same branch or pull
	// request cancel this action (rule option supersede: true).
	Supersede *SupersedeJob `json:"supersede,omitempty"`
	// Why says what caused a job that no rule matched by itself, such as
	// "command /retest by octocat (MEMBER)"; empty for a rule's match.
	Why string `json:"why,omitempty"`

	Jenkins *JenkinsJob `json:"jenkins,omitempty"`
	Slack   *SlackJob   `json:"slack,omitempty"`
	Comment *CommentJob `json:"comment,omitempty"`
	Label   *LabelJob   `json:"label,omitempty"`
	Status  *StatusJob  `json:"status,omitempty"`
	HTTP    *HTTPJob    `json:"http,omitempty"`
	Log     *LogJob     `json:"log,omitempty"`
}

// Fields returns the rendered fields of the job's kind (its *JenkinsJob,
// *SlackJob, ...), as simulate prints them and the history shows them.
func (j *Job) Fields() (any, error) {
	switch j.Kind {
	case "jenkins":
		return j.Jenkins, nil
	case "slack":
		return j.Slack, nil
	case "comment":
		return j.Comment, nil
	case "label":
		return j.Label, nil
	case "status":
		return j.Status, nil
	case "http":
		return j.HTTP, nil
	case "log":
		return j.Log, nil
	}
	return nil, fmt.Errorf("unknown action kind %q", j.Kind)
}

// Target is what the event is about: where GitHub actions act.
type Target struct {
	Installation int64  `json:"installation,omitempty"`
	Owner        string `json:"owner,omitempty"`
	Repo         string `json:"repo,omitempty"`
	Number       int    `json:"number,omitempty"` // issue or pull request number
	SHA          string `json:"sha,omitempty"`
}

// JenkinsJob triggers a build.
type JenkinsJob struct {
	Server     string            `json:"server"`
	Job        string            `json:"job"` // rendered; folders as a/b/c
	Parameters map[string]string `json:"parameters,omitempty"`
	Report     bool              `json:"report,omitempty"`
	Context    string            `json:"context,omitempty"`
	// Check reports the build as a check run (report: check) instead of
	// commit statuses; Report is then true too.
	Check bool `json:"check,omitempty"`
}

// SupersedeJob is what an action of a rule with supersede: true needs to
// know to be superseded.
type SupersedeJob struct {
	// Key names the work: "push:owner/repo:branch" or "pr:owner/repo#N".
	Key string `json:"key"`
	// AbortRunning stops a running build too, not only a queued one.
	AbortRunning bool `json:"abort_running,omitempty"`
}

// SlackJob posts a message.
type SlackJob struct {
	Connection string `json:"connection"`
	Channel    string `json:"channel,omitempty"`
	Text       string `json:"text"`
	Blocks     string `json:"blocks,omitempty"` // rendered Block Kit JSON
}

// CommentJob comments on the event's issue or pull request.
type CommentJob struct {
	Body string `json:"body"`
}

// LabelJob adds and removes labels.
type LabelJob struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
}

// StatusJob sets a commit status.
type StatusJob struct {
	Context     string `json:"context"`
	State       string `json:"state"`
	Description string `json:"description,omitempty"`
	TargetURL   string `json:"target_url,omitempty"`
}

// HTTPJob calls an endpoint. When Body is nil the delivery's raw payload is
// sent. The signing secret is looked up from the rule at run time.
type HTTPJob struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Body    *string           `json:"body,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Signed  bool              `json:"signed,omitempty"`
	// AllowHosts are the action's allow_hosts globs: when given, the URL's
	// host must match one (config.HostAllowed).
	AllowHosts []string `json:"allow_hosts,omitempty"`
}

// LogJob writes a log line.
type LogJob struct {
	Message string `json:"message"`
}
