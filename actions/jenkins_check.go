package actions

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// jenkinsActions is the part of a queue item or build that carries its
// parameters: a ParametersAction among its actions.
type jenkinsActions struct {
	Actions []struct {
		Parameters []struct {
			Name  string `json:"name"`
			Value any    `json:"value"`
		} `json:"parameters"`
	} `json:"actions"`
}

// has reports whether a parameter name has the value want.
func (a jenkinsActions) has(name, want string) bool {
	for _, act := range a.Actions {
		for _, p := range act.Parameters {
			if v, ok := p.Value.(string); ok && p.Name == name && v == want {
				return true
			}
		}
	}
	return false
}

// buildsChecked is how many recent builds are searched for an earlier
// attempt's build; an attempt is retried within minutes, not hundreds of
// builds later.
const buildsChecked = "100"

// findBuild looks for a queue item or build of the job at path whose
// parameter name has the value delivery, and returns its URL ("" if none).
// The queue is read first: an item that leaves it becomes a build, so
// reading in this order cannot miss one that moves in between.
func (j *Jenkins) findBuild(ctx context.Context, srv *jenkinsServer, path, jobURL, name, delivery string) (string, error) {
	var queue struct {
		Items []struct {
			jenkinsActions
			URL  string `json:"url"`
			Task struct {
				URL string `json:"url"`
			} `json:"task"`
		} `json:"items"`
	}
	q := url.Values{"tree": {"items[url,task[url],actions[parameters[name,value]]]"}}
	if err := j.getJSON(ctx, srv, srv.base.String()+"queue/api/json?"+q.Encode(), &queue); err != nil {
		return "", err
	}
	for _, it := range queue.Items {
		if sameJob(it.Task.URL, path) && it.has(name, delivery) {
			return srv.base.ResolveReference(&url.URL{Path: strings.TrimPrefix(it.URL, "/")}).String(), nil
		}
	}
	return j.findInBuilds(ctx, srv, jobURL, name, delivery)
}

// findInBuilds looks among the job's latest builds for one whose parameter
// name has the value delivery, and returns its URL ("" if none).
func (j *Jenkins) findInBuilds(ctx context.Context, srv *jenkinsServer, jobURL, name, delivery string) (string, error) {
	var builds struct {
		Builds []struct {
			jenkinsActions
			URL string `json:"url"`
		} `json:"builds"`
	}
	q := url.Values{"tree": {"builds[url,actions[parameters[name,value]]]{0," + buildsChecked + "}"}}
	if err := j.getJSON(ctx, srv, jobURL+"api/json?"+q.Encode(), &builds); err != nil {
		return "", err
	}
	for _, b := range builds.Builds {
		if b.has(name, delivery) {
			return b.URL, nil
		}
	}
	return "", nil
}

// sameJob reports whether a job URL from Jenkins points at path. Only the
// path is compared: Jenkins' own root URL may differ from the configured one
// behind a proxy.
func sameJob(taskURL, path string) bool {
	u, err := url.Parse(taskURL)
	if err != nil {
		return false
	}
	p := u.EscapedPath()
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return strings.HasSuffix(p, path)
}

// getJSON reads a Jenkins API document into v.
func (j *Jenkins) getJSON(ctx context.Context, srv *jenkinsServer, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Permanent(redactURLError(err))
	}
	j.auth(req, srv)
	resp, err := j.client.Do(req)
	if err != nil {
		return redactURLError(err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return newHTTPError("jenkins", resp, j.now(), srv.scrub)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(v)
}
