package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"time"
)

// SupersededText is what the history, the outcome and the superseded
// commit's status or check say: "superseded by <short sha>".
func SupersededText(bySHA string) string { return "superseded by " + shortSHA(bySHA) }

// ReportSuperseded reports job's build as superseded before it was ever
// triggered: for a jenkins action with report, a commit status error (or
// a check run completed cancelled) "Superseded by <short sha>" on its SHA.
// Other actions have nothing to report.
func (s *Set) ReportSuperseded(ctx context.Context, job *Job, bySHA string) error {
	if job == nil || job.Kind != "jenkins" || job.Jenkins == nil || !job.Jenkins.Report || s.follow.gh == nil {
		return nil
	}
	r := s.follow.newReport(job, time.Time{})
	st := FollowState{Superseded: shortSHA(bySHA), Result: Cancelled}
	r.conclusion = "cancelled"
	_, _, err := r.finish(ctx, st, "error", "Superseded by "+shortSHA(bySHA)+"; not built", r.jobURL)
	return err
}

// SupersedeBuild stops following job's build because a newer event
// superseded it: a build still in the Jenkins queue is cancelled
// (POST /queue/cancelItem?id=N); a running build is stopped
// (POST <build>/stop) only when the rule says abort_running. Either way
// the status or check becomes error / cancelled "Superseded by <short
// sha>". A running build without abort_running is left to finish and
// is reported as usual: done is then false and st unchanged.
func (s *Set) SupersedeBuild(ctx context.Context, job *Job, st FollowState, bySHA string) (FollowState, bool, error) {
	f := s.follow
	if job == nil || job.Jenkins == nil {
		return st, false, errMissingFields("jenkins")
	}
	if st.Done() {
		return st, true, nil
	}
	srv, err := f.jenkins.server(job.Jenkins.Server)
	if err != nil {
		return st, false, Permanent(err)
	}
	abort := job.Supersede != nil && job.Supersede.AbortRunning
	if st.Number == 0 {
		m := queueItemRE.FindStringSubmatch(urlPath(st.QueueItem))
		if m == nil {
			return st, false, nil // nothing known to cancel; following goes on
		}
		err := f.jenkins.post(ctx, srv, srv.base.String()+"queue/cancelItem?id="+m[1])
		var he *HTTPError
		switch {
		case errors.As(err, &he) && he.Status == http.StatusNotFound:
			// It left the queue first: it runs, or is about to.
			item, qerr := f.jenkins.queueItem(ctx, srv, m[1])
			if qerr != nil || item.Executable == nil || item.Executable.Number == 0 {
				return st, false, qerr // look again at the next check
			}
			st.Number, st.Build = item.Executable.Number, item.Executable.URL
		case err != nil:
			return st, false, err
		default:
			return s.finishSuperseded(ctx, job, st, bySHA, "Superseded by "+shortSHA(bySHA)+"; cancelled in the Jenkins queue")
		}
	}
	if !abort {
		return st, false, nil
	}
	path, err := JenkinsJobPath(job.Jenkins.Job)
	if err != nil {
		return st, false, Permanent(err)
	}
	jobURL := srv.base.String() + strings.TrimPrefix(path, "/")
	if err := f.jenkins.post(ctx, srv, jobURL+strconv.Itoa(st.Number)+"/stop"); err != nil {
		return st, false, err
	}
	return s.finishSuperseded(ctx, job, st, bySHA, fmt.Sprintf("Superseded by %s; build #%d stopped", shortSHA(bySHA), st.Number))
}

func (s *Set) finishSuperseded(ctx context.Context, job *Job, st FollowState, bySHA, desc string) (FollowState, bool, error) {
	st.Superseded, st.Result = shortSHA(bySHA), Cancelled
	if !job.Jenkins.Report || s.follow.gh == nil {
		st.Reported = ReportedDone
		return st, true, nil
	}
	r := s.follow.newReport(job, time.Time{})
	r.conclusion = "cancelled"
	return r.finish(ctx, st, "error", desc, "")
}

// newReport is a report of job's build, its server and job URL looked up.
func (f *follower) newReport(job *Job, deadline time.Time) *report {
	r := &report{f: f, job: job, context: job.Jenkins.Context, deadline: deadline}
	if r.context == "" {
		r.context = "jenkins/" + job.Jenkins.Job
	}
	if srv, err := f.jenkins.server(job.Jenkins.Server); err == nil {
		if path, err := JenkinsJobPath(job.Jenkins.Job); err == nil {
			r.srv, r.jobURL = srv, srv.base.String()+strings.TrimPrefix(path, "/")
		}
	}
	return r
}

// post sends a POST without a body to a Jenkins URL under the configured
// root, with a crumb when the server is set up with a password. Any 2xx
// or 3xx answer is success: Jenkins answers stop with a redirect.
func (j *Jenkins) post(ctx context.Context, srv *jenkinsServer, u string) error {
	client := j.client
	var field, crumb string
	if srv.password {
		jar, _ := cookiejar.New(nil)
		c := *j.client
		c.Jar = jar
		client = &c
		var err error
		if field, crumb, err = j.crumb(ctx, client, srv); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return Permanent(redactURLError(err))
	}
	j.auth(req, srv)
	if field != "" {
		req.Header.Set(field, crumb)
	}
	resp, err := client.Do(req)
	if err != nil {
		return redactURLError(err)
	}
	defer drain(resp)
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return nil
	}
	return newHTTPError("jenkins", resp, j.now(), srv.scrub)
}

// CancelBuild cancels the build st follows, as /cancel asks: a queue item
// still waiting is cancelled, a running build is stopped. The follow job
// then sees the result (cancelled in the queue, ABORTED) and reports it.
// The server is the configured one whose root the URLs lie under; URLs
// under no configured root are refused, never called.
func (s *Set) CancelBuild(ctx context.Context, st FollowState) error {
	j := s.follow.jenkins
	var srv *jenkinsServer
	for _, candidate := range j.servers {
		root := candidate.base.String()
		if (st.QueueItem != "" && strings.HasPrefix(st.QueueItem, root)) || (st.Build != "" && strings.HasPrefix(st.Build, root)) {
			srv = candidate
			break
		}
	}
	if srv == nil {
		return Permanentf("jenkins: the build is on no configured server")
	}
	if st.Build == "" {
		m := queueItemRE.FindStringSubmatch(urlPath(st.QueueItem))
		if m == nil {
			return Permanentf("jenkins: no queue item or build to cancel")
		}
		err := j.post(ctx, srv, srv.base.String()+"queue/cancelItem?id="+m[1])
		var he *HTTPError
		if !errors.As(err, &he) || he.Status != http.StatusNotFound {
			return err
		}
		// It left the queue: stop the build it became.
		item, err := j.queueItem(ctx, srv, m[1])
		if err != nil {
			return err
		}
		if item.Executable == nil || item.Executable.URL == "" {
			return nil // cancelled already
		}
		st.Build = item.Executable.URL
	}
	if !strings.HasPrefix(st.Build, srv.base.String()) || !buildRE.MatchString(urlPath(st.Build)) {
		return Permanentf("jenkins: %q is not a build of the configured server", st.Build)
	}
	return j.post(ctx, srv, strings.TrimSuffix(st.Build, "/")+"/stop")
}
