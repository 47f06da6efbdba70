package actions

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/config"
)

// Defaults for FollowOptions.
const (
	// DefaultFollowDeadline is how long a build of a jenkins action with
	// report: true is followed before Switchboard gives up on it and sets
	// the status "error", unless its server sets report_timeout: the
	// config's own default, for Sets built without a loaded config.
	DefaultFollowDeadline = time.Duration(config.DefaultReportTimeout)
	// DefaultFollowFirstInterval is the wait after the first check; it
	// doubles after every check up to DefaultFollowMaxInterval.
	DefaultFollowFirstInterval = 2 * time.Second
	// DefaultFollowMaxInterval is the longest wait between two checks. It
	// is well inside the ~5 minutes Jenkins keeps a queue item after it
	// leaves the queue.
	DefaultFollowMaxInterval = 30 * time.Second
)

// FollowOptions bound how builds are followed. Zero fields take the
// defaults above; tests set short ones through Deps.Follow.
type FollowOptions struct {
	Deadline      time.Duration
	FirstInterval time.Duration
	MaxInterval   time.Duration
}

func (o FollowOptions) withDefaults() FollowOptions {
	if o.Deadline <= 0 {
		o.Deadline = DefaultFollowDeadline
	}
	if o.FirstInterval <= 0 {
		o.FirstInterval = DefaultFollowFirstInterval
	}
	if o.MaxInterval <= 0 {
		o.MaxInterval = DefaultFollowMaxInterval
	}
	if o.FirstInterval > o.MaxInterval {
		o.FirstInterval = o.MaxInterval
	}
	return o
}

// Interval is the wait after check number checks (1-based) before the
// next: FirstInterval doubled for every check after the first, capped at
// MaxInterval.
func (o FollowOptions) Interval(checks int) time.Duration {
	d := o.FirstInterval
	for i := 1; i < checks && d < o.MaxInterval; i++ {
		d *= 2
	}
	return min(d, o.MaxInterval)
}

// What FollowState.Reported holds: the last commit status set.
const (
	ReportedQueued  = "queued"  // pending, pointing at the job while the build waits
	ReportedStarted = "started" // pending, pointing at the running build
	ReportedDone    = "done"    // the final status
)

// FollowState is the progress of following one build. Between checks it is
// kept as the Detail of the jenkins action's outcome (Detail and
// ParseFollowState), so a restart resumes where the last check left off,
// and the build's URL is remembered after Jenkins forgets the queue item
// (about 5 minutes after the build leaves the queue).
type FollowState struct {
	// QueueItem is the queue item URL from the trigger's Location header.
	QueueItem string `json:"queue_item,omitempty"`
	// Build is the build's URL as Jenkins gives it (executable.url), the
	// one people open; Number is its number.
	Build  string `json:"build,omitempty"`
	Number int    `json:"number,omitempty"`
	// Result is Jenkins' result (SUCCESS, UNSTABLE, FAILURE, NOT_BUILT,
	// ABORTED), or CANCELLED for an item cancelled in the queue, once known.
	Result string `json:"result,omitempty"`
	// Reported is the last status set: ReportedQueued, ReportedStarted,
	// ReportedDone, or "" before the first.
	Reported string `json:"reported,omitempty"`
	// Checks counts the checks made; Failures the failed ones in a row.
	// The follow worker keeps both.
	Checks   int `json:"checks,omitempty"`
	Failures int `json:"failures,omitempty"`
	// Error says why following ended without a final status, if it did.
	Error string `json:"error,omitempty"`
	// CheckRun is the ID of the build's check run (report: check).
	CheckRun int64 `json:"check_run,omitempty"`
	// Superseded names the newer commit that superseded the build.
	Superseded string `json:"superseded,omitempty"`
	// Job is the action whose build a check run reports (report: check),
	// so that a re-run asked for from the Checks tab can run it again.
	Job *Job `json:"job,omitempty"`
}

// Cancelled is FollowState.Result for a queue item cancelled before it
// started.
const Cancelled = "CANCELLED"

// Done reports whether there is nothing left to follow.
func (s FollowState) Done() bool { return s.Reported == ReportedDone || s.Error != "" }

// Detail encodes s for the outcome's Detail: a JSON object.
func (s FollowState) Detail() string {
	b, _ := json.Marshal(s) // plain fields: cannot fail
	return string(b)
}

// ParseFollowState reads an outcome's Detail: a FollowState, or, before
// the first check, the URL the trigger left, which is a queue item, or a
// build when a retried trigger found the build an earlier attempt queued.
// Anything else gives the zero FollowState.
func ParseFollowState(detail string) FollowState {
	detail = strings.TrimSpace(detail)
	var s FollowState
	switch {
	case strings.HasPrefix(detail, "{"):
		if json.Unmarshal([]byte(detail), &s) != nil {
			return FollowState{}
		}
	case queueItemRE.MatchString(urlPath(detail)):
		s.QueueItem = detail
	case buildRE.MatchString(urlPath(detail)):
		s.Build = detail
	}
	return s
}

var (
	queueItemRE = regexp.MustCompile(`/queue/item/([0-9]+)/?$`)
	buildRE     = regexp.MustCompile(`^(.*/job/[^/]+)/([0-9]+)/?$`)
)

func urlPath(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.EscapedPath()
}
