package check

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
)

// jenkinsJob is a job named without a template, and what the rules pass it.
type jenkinsJob struct {
	rules  []string
	params map[string][]string // parameter name -> rules passing it
}

// jenkins checks one server as the jenkins action uses it: HTTP Basic up
// front, the crumb when authenticating with a password, the jobs.
// https://www.jenkins.io/doc/book/using/remote-access-api/
func jenkins(ctx context.Context, o Options, name string, s *config.JenkinsServer) Result {
	label := "jenkins " + name
	base, err := url.Parse(s.URL)
	if err != nil {
		return Result{label, Fail, "url: " + err.Error()}
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	secret, kind := string(s.Token), "an API token"
	if s.Password != "" {
		secret, kind = string(s.Password), "a password"
	}
	get := func(path string) (int, []byte, http.Header, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+path, nil)
		if err != nil {
			return 0, nil, nil, err
		}
		req.SetBasicAuth(s.User, secret)
		resp, err := o.HTTPClient.Do(req)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%s", transportError(err, secret))
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, b, resp.Header, nil
	}

	// Who the credentials are: /whoAmI answers anyone, saying as whom.
	status, body, _, err := get("whoAmI/api/json")
	if err != nil {
		return Result{label, Fail, "GET whoAmI/api/json: " + err.Error()}
	}
	var who struct {
		Name          string `json:"name"`
		Authenticated bool   `json:"authenticated"`
		Anonymous     bool   `json:"anonymous"`
	}
	switch {
	case status == http.StatusUnauthorized:
		return Result{label, Fail, fmt.Sprintf("authentication: HTTP 401 (%s): jenkins.%s.user or its %s is wrong", jettyMessage(body), name, strings.TrimPrefix(strings.TrimPrefix(kind, "an "), "a "))}
	case status != http.StatusOK:
		return Result{label, Fail, fmt.Sprintf("GET whoAmI/api/json: HTTP %d (%s)", status, jettyMessage(body))}
	case json.Unmarshal(body, &who) != nil:
		return Result{label, Fail, "GET whoAmI/api/json: the answer is not Jenkins' JSON; is url a Jenkins controller?"}
	case who.Anonymous || !who.Authenticated:
		return Result{label, Fail, "Jenkins took the credentials as anonymous: check jenkins." + name + ".user"}
	}
	found := []string{"authenticated as " + who.Name + " with " + kind}

	var problems []string
	if s.Password != "" {
		// A password needs a CSRF crumb for every POST; 404 means CSRF
		// protection is off.
		status, body, _, err := get("crumbIssuer/api/json")
		var crumb struct {
			Crumb string `json:"crumb"`
		}
		switch {
		case err != nil:
			problems = append(problems, "crumb: "+err.Error())
		case status == http.StatusNotFound:
			found = append(found, "no crumb needed (CSRF protection off)")
		case status != http.StatusOK:
			problems = append(problems, fmt.Sprintf("crumb: HTTP %d (%s)", status, jettyMessage(body)))
		case json.Unmarshal(body, &crumb) != nil || crumb.Crumb == "":
			problems = append(problems, "crumb: the crumb issuer answered without a crumb")
		default:
			found = append(found, "crumb issued")
		}
	} else {
		found = append(found, "no crumb needed")
	}

	jobs, templated := staticJobs(o.Config, name)
	var ok []string
	for _, job := range slices.Sorted(maps.Keys(jobs)) {
		if p := checkJob(get, job, jobs[job]); p != "" {
			problems = append(problems, p)
		} else {
			ok = append(ok, job)
		}
	}
	if len(ok) > 0 {
		found = append(found, "job "+strings.Join(ok, ", ")+" found")
		if len(ok) > 1 {
			found[len(found)-1] = "jobs " + strings.Join(ok, ", ") + " found"
		}
	}
	if templated > 0 {
		found = append(found, plural(templated, "templated job", "templated jobs")+" not checked")
	}
	return result(label, problems, found)
}

// checkJob reads the job and its parameter definitions; "" when the job
// exists and declares every parameter the rules pass it.
func checkJob(get func(string) (int, []byte, http.Header, error), job string, j *jenkinsJob) string {
	path, err := actions.JenkinsJobPath(job)
	if err != nil {
		return err.Error()
	}
	q := url.Values{"tree": {"name,property[parameterDefinitions[name]]"}}
	status, body, _, err := get(strings.TrimPrefix(path, "/") + "api/json?" + q.Encode())
	switch {
	case err != nil:
		return "job " + job + ": " + err.Error()
	case status == http.StatusNotFound:
		return fmt.Sprintf("job %s: not found (HTTP 404), named by rule %s", job, strings.Join(j.rules, ", "))
	case status != http.StatusOK:
		return fmt.Sprintf("job %s: HTTP %d (%s)", job, status, jettyMessage(body))
	}
	var info struct {
		Property []struct {
			ParameterDefinitions []struct {
				Name string `json:"name"`
			} `json:"parameterDefinitions"`
		} `json:"property"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return "job " + job + ": the answer is not Jenkins' JSON"
	}
	if len(j.params) == 0 {
		return ""
	}
	declared := map[string]bool{}
	for _, p := range info.Property {
		for _, d := range p.ParameterDefinitions {
			declared[d.Name] = true
		}
	}
	if len(declared) == 0 {
		return fmt.Sprintf("job %s: takes no parameters, but rule %s passes %s: the trigger would answer 400",
			job, strings.Join(rulesOf(j.params), ", "), strings.Join(slices.Sorted(maps.Keys(j.params)), ", "))
	}
	var missing []string
	for _, p := range slices.Sorted(maps.Keys(j.params)) {
		if !declared[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("job %s: does not declare %s, passed by rule %s: Jenkins drops undeclared parameters",
			job, strings.Join(missing, ", "), strings.Join(rulesOf(j.params), ", "))
	}
	return ""
}

// staticJobs collects the jobs of server that are named without a
// template, and counts the templated ones.
func staticJobs(cfg *config.Config, server string) (map[string]*jenkinsJob, int) {
	jobs := map[string]*jenkinsJob{}
	templated := map[string]bool{}
	for _, r := range cfg.Rules {
		for _, a := range r.Do {
			if a.Jenkins == nil || a.Jenkins.Server != server {
				continue
			}
			if !static(a.Jenkins.Job) {
				templated[a.Jenkins.Job] = true
				continue
			}
			j := jobs[a.Jenkins.Job]
			if j == nil {
				j = &jenkinsJob{params: map[string][]string{}}
				jobs[a.Jenkins.Job] = j
			}
			if !slices.Contains(j.rules, r.Name) {
				j.rules = append(j.rules, r.Name)
			}
			for p := range a.Jenkins.Parameters {
				if !slices.Contains(j.params[p], r.Name) {
					j.params[p] = append(j.params[p], r.Name)
				}
			}
		}
	}
	return jobs, len(templated)
}

func rulesOf(params map[string][]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, rs := range params {
		for _, r := range rs {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	sort.Strings(out)
	return out
}

// jettyMessage is the message of a Jenkins (Jetty) error page: its <title>
// or "Error NNN message" line, else the first line of the body.
func jettyMessage(body []byte) string {
	s := string(body)
	if i := strings.Index(s, "<title>"); i >= 0 {
		if j := strings.Index(s[i:], "</title>"); j > 0 {
			t := html.UnescapeString(strings.TrimSpace(s[i+len("<title>") : i+j]))
			// Jetty: "Error 401 Invalid password/token for user: x"
			if rest, ok := strings.CutPrefix(t, "Error "); ok {
				if _, msg, ok := strings.Cut(rest, " "); ok {
					return msg
				}
			}
			return t
		}
	}
	if strings.Contains(s, "Authentication required") {
		return "Authentication required"
	}
	return firstLine(body)
}
