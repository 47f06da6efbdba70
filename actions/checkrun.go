package actions

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// MaxCheckSummary is the longest check run output summary GitHub takes.
// https://docs.github.com/rest/checks/runs#create-a-check-run
const MaxCheckSummary = 65535

// ConsoleTailLines is how many lines of the console log a completed check
// run's summary shows.
const ConsoleTailLines = 50

// ExternalIDPrefix starts the external_id of every check run Switchboard
// creates: "switchboard:<delivery>:<index>:<rule>", the action whose build
// it reports, so that a re-run request can find that action again.
const ExternalIDPrefix = "switchboard:"

// ExternalID is the check run external_id of job's action.
func ExternalID(job *Job) string {
	return ExternalIDPrefix + job.Delivery + ":" + strconv.Itoa(job.Index) + ":" + job.Rule
}

// ParseExternalID reads what ExternalID wrote; ok is false for a check run
// Switchboard did not create.
func ParseExternalID(id string) (delivery, rule string, index int, ok bool) {
	rest, found := strings.CutPrefix(id, ExternalIDPrefix)
	if !found {
		return "", "", 0, false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return "", "", 0, false
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 0 {
		return "", "", 0, false
	}
	return parts[0], parts[2], n, true
}

// checkConclusion maps a final commit status state, and the Jenkins result
// or reason behind it, to a check run conclusion.
func checkConclusion(state, hint, result string) string {
	if hint != "" {
		return hint
	}
	switch result {
	case "ABORTED", Cancelled:
		return "cancelled"
	case "NOT_BUILT":
		return "skipped"
	}
	if state == "success" {
		return "success"
	}
	return "failure"
}

// postCheck moves the build's check run: created queued (status pending
// before the build starts), in_progress with details_url = the build once
// it runs, completed with a conclusion and an output whose summary has the
// build number, duration, link and console tail. The run's ID is kept in
// st, so a later check updates the same run.
func (r *report) postCheck(ctx context.Context, st *FollowState, state, desc, target string) error {
	t := r.job.Target
	gc, err := r.f.gh.client(t, false)
	if err != nil {
		return err
	}
	if t.SHA == "" {
		return Permanentf("github: the event has no commit SHA to put a check run on")
	}
	status := "queued"
	switch {
	case state != "pending":
		status = "completed"
	case st.Number > 0:
		status = "in_progress"
	}
	var (
		details    = target
		conclusion *string
		completed  *github.Timestamp
		output     = &github.CheckRunOutput{Title: github.String(truncate(desc, 1000)), Summary: github.String(desc)}
	)
	if status == "completed" {
		c := checkConclusion(state, r.conclusion, st.Result)
		conclusion = &c
		completed = &github.Timestamp{Time: r.f.now()}
		output.Summary = github.String(r.summary(ctx, st, desc))
	}
	if details == "" {
		details = r.jobURL
	}
	if st.Job == nil {
		jc := *r.job
		st.Job = &jc
	}
	what := fmt.Sprintf("check run %q on %s/%s@%s", r.context, t.Owner, t.Repo, shortSHA(t.SHA))
	if st.CheckRun == 0 {
		// An earlier check may have created the run and died before its
		// ID was recorded: find it by its external_id rather than make a
		// second one.
		res, _, err := gc.Checks.ListCheckRunsForRef(ctx, t.Owner, t.Repo, t.SHA, &github.ListCheckRunsOptions{
			CheckName: github.String(r.context), Filter: github.String("all"), ListOptions: github.ListOptions{PerPage: 100}})
		if err != nil {
			return gitHubError("list "+what, err, r.f.now())
		}
		for _, cr := range res.CheckRuns {
			if cr.GetExternalID() == ExternalID(r.job) {
				st.CheckRun = cr.GetID()
			}
		}
	}
	if st.CheckRun == 0 {
		opts := github.CreateCheckRunOptions{
			Name: r.context, HeadSHA: t.SHA, ExternalID: github.String(ExternalID(r.job)),
			Status: github.String(status), Conclusion: conclusion, CompletedAt: completed, Output: output,
		}
		if details != "" {
			opts.DetailsURL = github.String(details)
		}
		if status == "in_progress" {
			opts.StartedAt = &github.Timestamp{Time: r.f.now()}
		}
		cr, _, err := gc.Checks.CreateCheckRun(ctx, t.Owner, t.Repo, opts)
		if err != nil {
			return gitHubError("create "+what, err, r.f.now())
		}
		st.CheckRun = cr.GetID()
		return nil
	}
	opts := github.UpdateCheckRunOptions{
		Name: r.context, Status: github.String(status), Conclusion: conclusion, CompletedAt: completed, Output: output,
	}
	if details != "" {
		opts.DetailsURL = github.String(details)
	}
	_, _, err = gc.Checks.UpdateCheckRun(ctx, t.Owner, t.Repo, st.CheckRun, opts)
	return gitHubError("update "+what, err, r.f.now())
}

// summary is the Markdown of a completed check run: what happened, the
// build's number, duration and link, and the last lines of its console
// log in a code block, cut to GitHub's limit.
func (r *report) summary(ctx context.Context, st *FollowState, desc string) string {
	var b strings.Builder
	b.WriteString("**" + desc + "**\n\n")
	if st.Number > 0 {
		fmt.Fprintf(&b, "| build | duration |\n| --- | --- |\n| [#%d](%s) | %s |\n\n", st.Number, st.Build, formatDuration(r.duration))
	}
	if st.Superseded != "" {
		fmt.Fprintf(&b, "Superseded by %s.\n\n", st.Superseded)
	}
	head := b.String()
	if st.Number == 0 || r.srv == nil {
		return truncate(head, MaxCheckSummary)
	}
	lines, err := r.f.jenkins.consoleTail(ctx, r.srv, r.jobURL, st.Number, ConsoleTailLines)
	if err != nil {
		return truncate(head+"The console log could not be read: "+oneLineErr(err)+"\n", MaxCheckSummary)
	}
	return head + codeBlock(fmt.Sprintf("Last %d lines of the console log:\n\n", ConsoleTailLines), lines, MaxCheckSummary-len(head))
}

// codeBlock puts lines in a fenced code block after intro, within limit
// bytes, dropping the oldest lines first. The fence is longer than any run
// of backticks in the log, so the log cannot close it.
func codeBlock(intro string, lines []string, limit int) string {
	longest := 0
	for _, l := range lines {
		run := 0
		for _, c := range l {
			if c == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	open, closing := intro+fence+"text\n", fence+"\n"
	body := strings.Join(lines, "\n") + "\n"
	room := limit - len(open) - len(closing)
	if room <= 0 {
		return ""
	}
	if len(body) > room {
		body = body[len(body)-room:]
		if i := strings.IndexByte(body, '\n'); i >= 0 && i+1 < len(body) {
			body = body[i+1:] // start at a whole line
		}
		body = strings.ToValidUTF8(body, "")
	}
	return open + body + closing
}

// ansiRE matches ANSI escape sequences (colours, cursor moves) and the
// ConsoleNote markers Jenkins' AnsiColor plugin leaves in plain text.
var ansiRE = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[@-Z\\-_]`)

// StripANSI removes ANSI escape sequences from s.
func StripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

// maxConsoleRead bounds how much of a console log is read for its tail.
const maxConsoleRead = 64 << 20

// consoleTail reads build n's consoleText and returns its last n lines,
// ANSI codes stripped. The URL is built from the configured root.
func (j *Jenkins) consoleTail(ctx context.Context, srv *jenkinsServer, jobURL string, n, lines int) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jobURL+strconv.Itoa(n)+"/consoleText", nil)
	if err != nil {
		return nil, Permanent(redactURLError(err))
	}
	j.auth(req, srv)
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, redactURLError(err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, newHTTPError("jenkins", resp, j.now(), srv.scrub)
	}
	ring := make([]string, 0, lines)
	sc := bufio.NewScanner(io.LimitReader(resp.Body, maxConsoleRead))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimRight(StripANSI(sc.Text()), "\r")
		if len(ring) == lines {
			copy(ring, ring[1:])
			ring = ring[:lines-1]
		}
		ring = append(ring, l)
	}
	if err := sc.Err(); err != nil && err != bufio.ErrTooLong {
		return nil, err
	}
	return ring, nil
}

func formatDuration(ms int64) string {
	if ms <= 0 {
		return "unknown"
	}
	return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
}

func oneLineErr(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
