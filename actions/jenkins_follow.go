package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// follower follows builds and reports them as commit statuses.
type follower struct {
	jenkins *Jenkins
	gh      *gitHub // nil without GitHub App credentials
	opts    FollowOptions
	now     func() time.Time
}

// FollowOptions returns the options builds are followed with, defaults
// applied.
func (s *Set) FollowOptions() FollowOptions { return s.follow.opts }

// FollowDeadline is how long the build of job (a jenkins action with
// report: true) is followed: its server's report_timeout, else
// FollowOptions().Deadline.
func (s *Set) FollowDeadline(job *Job) time.Duration {
	if job != nil && job.Jenkins != nil {
		if srv, err := s.follow.jenkins.server(job.Jenkins.Server); err == nil && srv.reportTimeout > 0 {
			return srv.reportTimeout
		}
	}
	return s.follow.opts.Deadline
}

// FollowBuild makes one check of the build that job (a jenkins action with
// report: true) queued, starting from st, and returns the progress and
// whether it is done. On the way it sets commit statuses on job's SHA,
// with the context job.Jenkins.Context (default "jenkins/<job>"):
//
//   - pending, pointing at the job, at the first check: the build is queued;
//   - pending, pointing at the build, once it runs;
//   - success (SUCCESS), failure (FAILURE, UNSTABLE), or error (ABORTED,
//     NOT_BUILT, cancelled in the queue, lost, or no result by deadline),
//     pointing at the build.
//
// An error is for Classify: retry the check later, or (permanent) stop
// following, as no status can be set. Jenkins' own permanent refusals end
// in an error status instead. The caller keeps Checks and Failures.
func (s *Set) FollowBuild(ctx context.Context, job *Job, st FollowState, deadline time.Time) (FollowState, bool, error) {
	return s.follow.check(ctx, job, st, deadline)
}

func (f *follower) check(ctx context.Context, job *Job, st FollowState, deadline time.Time) (FollowState, bool, error) {
	if job == nil || job.Jenkins == nil {
		return st, false, errMissingFields("jenkins")
	}
	if f.gh == nil {
		return st, false, Permanentf("jenkins report: setting commit statuses needs GitHub App credentials (github.app_id and a private key)")
	}
	if st.Done() {
		return st, true, nil
	}
	jj := job.Jenkins
	r := &report{f: f, job: job, context: jj.Context, deadline: deadline, expired: !f.now().Before(deadline)}
	if r.context == "" {
		r.context = "jenkins/" + jj.Job
	}
	srv, err := f.jenkins.server(jj.Server)
	if err != nil {
		return r.finish(ctx, st, "error", "Jenkins server no longer configured; build not followed", "")
	}
	path, err := JenkinsJobPath(jj.Job)
	if err != nil {
		return r.finish(ctx, st, "error", "Invalid Jenkins job name; build not followed", "")
	}
	r.jobURL = srv.base.String() + strings.TrimPrefix(path, "/")
	r.srv = srv

	if st.Build != "" && st.Number == 0 {
		// The trigger's retry found the build itself.
		if n, ok := buildNumber(st.Build, path); ok {
			st.Number = n
		}
	}

	// The build is queued: say so at once.
	if st.Reported == "" {
		state, desc, target := ReportedQueued, "Build queued in Jenkins", r.jobURL
		if st.Number > 0 {
			state, desc, target = ReportedStarted, fmt.Sprintf("Build #%d running", st.Number), st.Build
		}
		if err := r.post(ctx, &st, "pending", desc, target); err != nil {
			return st, false, err
		}
		st.Reported = state
	}

	if st.Number == 0 {
		next, done, err := r.fromQueue(ctx, srv, path, st)
		if done || err != nil {
			return next, done, err
		}
		if next.Number == 0 {
			if r.expired {
				return r.giveUp(ctx, next)
			}
			return next, false, nil
		}
		st = next
	}

	b, err := f.jenkins.buildInfo(ctx, srv, r.jobURL, st.Number)
	var he *HTTPError
	switch {
	case errors.As(err, &he) && he.Status == http.StatusNotFound:
		return r.finish(ctx, st, "error", fmt.Sprintf("Build #%d no longer exists in Jenkins", st.Number), st.Build)
	case err != nil:
		return r.jenkinsFailed(ctx, st, err)
	}
	if st.Build == "" {
		st.Build = b.URL
	}
	if !b.Building && b.Result != "" {
		st.Result = b.Result
		r.duration = b.Duration
		state, desc := resultStatus(b.Result, st.Number)
		return r.finish(ctx, st, state, desc, st.Build)
	}
	if r.expired {
		return r.giveUp(ctx, st)
	}
	if st.Reported == ReportedQueued {
		if err := r.post(ctx, &st, "pending", fmt.Sprintf("Build #%d running", st.Number), st.Build); err != nil {
			return st, false, err
		}
		st.Reported = ReportedStarted
	}
	return st, false, nil
}

// fromQueue looks at the queue item: still waiting, cancelled, or gone to
// an executor as a build (st.Number set). A queue item Jenkins has already
// forgotten is looked for among the job's builds by its delivery parameter.
func (r *report) fromQueue(ctx context.Context, srv *jenkinsServer, path string, st FollowState) (FollowState, bool, error) {
	j := r.f.jenkins
	m := queueItemRE.FindStringSubmatch(urlPath(st.QueueItem))
	if m == nil {
		return r.finish(ctx, st, "error", "Jenkins named no queue item for the build; not followed", "")
	}
	item, err := j.queueItem(ctx, srv, m[1])
	var he *HTTPError
	switch {
	case errors.As(err, &he) && he.Status == http.StatusNotFound:
		jj := r.job.Jenkins
		name := deliveryMarker(jj.Parameters, r.job.Delivery)
		found := ""
		if name != "" {
			if found, err = j.findInBuilds(ctx, srv, r.jobURL, name, r.job.Delivery); err != nil {
				return r.jenkinsFailed(ctx, st, err)
			}
		}
		n, ok := buildNumber(found, path)
		if !ok {
			return r.finish(ctx, st, "error", "Jenkins forgot the queue item before its build was seen", "")
		}
		st.Build, st.Number = found, n
		return st, false, nil
	case err != nil:
		return r.jenkinsFailed(ctx, st, err)
	case item.Cancelled:
		st.Result = Cancelled
		r.conclusion = "cancelled"
		return r.finish(ctx, st, "error", "Build cancelled in the Jenkins queue", "")
	case item.Executable != nil && item.Executable.Number > 0:
		st.Number = item.Executable.Number
		st.Build = item.Executable.URL
		if st.Build == "" {
			st.Build = r.jobURL + strconv.Itoa(st.Number) + "/"
		}
	}
	return st, false, nil
}

// report sets the statuses of one followed build.
type report struct {
	f        *follower
	job      *Job
	context  string
	jobURL   string
	deadline time.Time
	expired  bool // the deadline has passed
	srv      *jenkinsServer
	// conclusion is the check run conclusion of the final report when the
	// state alone does not say it (cancelled, timed_out); duration is the
	// build's, in milliseconds, when Jenkins gave it.
	conclusion string
	duration   int64
}

// post sets one status on the job's SHA, or with report: check moves its
// check run (checkrun.go).
func (r *report) post(ctx context.Context, st *FollowState, state, desc, target string) error {
	if r.job.Jenkins.Check {
		return r.postCheck(ctx, st, state, desc, target)
	}
	return r.f.gh.setStatus(ctx, r.job.Target, StatusJob{Context: r.context, State: state, Description: desc, TargetURL: target})
}

// finish sets the final status; target "" means the build when known,
// else the job.
func (r *report) finish(ctx context.Context, st FollowState, state, desc, target string) (FollowState, bool, error) {
	if target == "" {
		target = st.Build
	}
	if target == "" {
		target = r.jobURL
	}
	if err := r.post(ctx, &st, state, desc, target); err != nil {
		return st, false, err
	}
	st.Reported = ReportedDone
	return st, true, nil
}

// giveUp ends following at the deadline with an error status.
func (r *report) giveUp(ctx context.Context, st FollowState) (FollowState, bool, error) {
	r.conclusion = "timed_out"
	by := r.deadline.UTC().Format("2006-01-02 15:04 MST")
	desc := "No result by " + by + "; no longer followed"
	if st.Number > 0 {
		desc = fmt.Sprintf("Build #%d: no result by %s; no longer followed", st.Number, by)
	}
	return r.finish(ctx, st, "error", desc, "")
}

// jenkinsFailed handles a failed look at Jenkins: past the deadline it
// ends with an error status; a permanent refusal ends with one too (no
// later look will fare better); anything else is retried.
func (r *report) jenkinsFailed(ctx context.Context, st FollowState, err error) (FollowState, bool, error) {
	v := Classify(err)
	switch {
	case v.Outcome == PermanentFailure:
		return r.finish(ctx, st, "error", "Switchboard could not follow the build: Jenkins answered "+v.Reason, "")
	case r.expired:
		return r.giveUp(ctx, st)
	}
	return st, false, err
}

// resultStatus maps a Jenkins result to a commit status state and text.
func resultStatus(result string, n int) (state, desc string) {
	switch result {
	case "SUCCESS":
		return "success", fmt.Sprintf("Build #%d succeeded", n)
	case "UNSTABLE":
		return "failure", fmt.Sprintf("Build #%d is unstable", n)
	case "FAILURE":
		return "failure", fmt.Sprintf("Build #%d failed", n)
	case "ABORTED":
		return "error", fmt.Sprintf("Build #%d was aborted", n)
	case "NOT_BUILT":
		return "error", fmt.Sprintf("Build #%d was not built", n)
	}
	return "error", fmt.Sprintf("Build #%d finished: %s", n, result)
}

// buildNumber reads the number from a build URL of the job at path
// ("/job/a/job/b/"): ".../job/a/job/b/42/" gives 42. Jenkins' root URL
// may differ from the configured one behind a proxy, so only the end of
// the path is compared.
func buildNumber(buildURL, path string) (int, bool) {
	m := buildRE.FindStringSubmatch(urlPath(buildURL))
	if m == nil || !strings.HasSuffix(m[1]+"/", path) {
		return 0, false
	}
	n, err := strconv.Atoi(m[2])
	return n, err == nil && n > 0
}

// jenkinsQueueItem is the part of a queue item the follower reads.
type jenkinsQueueItem struct {
	Cancelled  bool `json:"cancelled"`
	Executable *struct {
		Number int    `json:"number"`
		URL    string `json:"url"`
	} `json:"executable"`
}

// queueItem reads queue/item/ID/api/json. The URL is built from the
// configured root, never taken from Jenkins: credentials go only where
// the configuration says.
func (j *Jenkins) queueItem(ctx context.Context, srv *jenkinsServer, id string) (*jenkinsQueueItem, error) {
	var it jenkinsQueueItem
	q := url.Values{"tree": {"cancelled,executable[number,url]"}}
	if err := j.getJSON(ctx, srv, srv.base.String()+"queue/item/"+id+"/api/json?"+q.Encode(), &it); err != nil {
		return nil, err
	}
	return &it, nil
}

// jenkinsBuild is the part of a build the follower reads.
type jenkinsBuild struct {
	URL      string `json:"url"`
	Building bool   `json:"building"`
	Result   string `json:"result"`
	Duration int64  `json:"duration"` // milliseconds, once finished
}

// buildInfo reads job/.../N/api/json under the configured root.
func (j *Jenkins) buildInfo(ctx context.Context, srv *jenkinsServer, jobURL string, n int) (*jenkinsBuild, error) {
	var b jenkinsBuild
	q := url.Values{"tree": {"url,building,result,duration"}}
	if err := j.getJSON(ctx, srv, jobURL+strconv.Itoa(n)+"/api/json?"+q.Encode(), &b); err != nil {
		return nil, err
	}
	return &b, nil
}
