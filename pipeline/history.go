package pipeline

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// redacted stands for a secret in recorded params.
const redacted = "<secret>"

// minSecretLen is the shortest configured secret replaced inside recorded
// values: a shorter one would garble ordinary text and guards nothing.
const minSecretLen = 4

// ruleRecords converts the rules' explanations for the store.
func ruleRecords(ex []rules.Explanation) []store.RuleRecord {
	out := make([]store.RuleRecord, len(ex))
	for i, e := range ex {
		conds := make([]store.ConditionRecord, len(e.Conditions))
		for j, c := range e.Conditions {
			conds[j] = store.ConditionRecord{Condition: c.Condition, OK: c.OK, Detail: c.Detail}
		}
		out[i] = store.RuleRecord{Name: e.Rule, Matched: e.Matched, Conditions: conds}
	}
	return out
}

// redactor replaces secrets in the params an action is recorded with.
type redactor struct{ r *strings.Replacer }

func newRedactor(secrets []string) redactor {
	// Longest first, so a secret that contains another is replaced whole.
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	var pairs []string
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			pairs = append(pairs, s, redacted)
		}
	}
	if len(pairs) == 0 {
		return redactor{}
	}
	return redactor{strings.NewReplacer(pairs...)}
}

func (r redactor) str(s string) string {
	if r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// sensitiveHeader reports whether an http action's header carries
// credentials, by its name.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "x-hub-signature", "x-hub-signature-256":
		return true
	}
	for _, w := range []string{"token", "secret", "password", "api-key", "apikey", "auth", "signature", "key"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// paramsOf is the rendered fields of job, as simulate prints them, with
// every secret shown as <secret>: an http action's signing secret (when it
// signs), the values of headers that carry credentials, and any configured
// secret a template let into a value.
func paramsOf(job *actions.Job, red redactor) (json.RawMessage, error) {
	fields, err := job.Fields()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	if job.Kind == "http" {
		if h, ok := m["headers"].(map[string]any); ok {
			for k := range h {
				if sensitiveHeader(k) {
					h[k] = redacted
				}
			}
		}
		if job.HTTP != nil && job.HTTP.Signed {
			m["secret"] = redacted
		}
	}
	return json.Marshal(redactValue(m, red))
}

func redactValue(v any, red redactor) any {
	switch t := v.(type) {
	case string:
		return red.str(t)
	case map[string]any:
		for k, x := range t {
			t[k] = redactValue(x, red)
		}
	case []any:
		for i, x := range t {
			t[i] = redactValue(x, red)
		}
	}
	return v
}

// Link names in an action's record.
const (
	LinkJenkinsQueueItem = "jenkins_queue_item"
	LinkJenkinsBuild     = "jenkins_build"
	LinkComment          = "comment"
	LinkCommit           = "commit"
)

// queuedLinks are the links known when an action is queued: the commit
// whose status a status action, or a jenkins action that reports, sets.
func queuedLinks(job *actions.Job, ev *rules.Event) map[string]string {
	reports := job.Kind == "status" || job.Kind == "jenkins" && job.Jenkins != nil && job.Jenkins.Report
	if !reports || ev.Repository.HTMLURL == "" || job.Target.SHA == "" {
		return nil
	}
	return map[string]string{LinkCommit: ev.Repository.HTMLURL + "/commit/" + job.Target.SHA}
}

// detailLinks adds to links what an action's Detail says it created, and
// returns whether it added anything.
func detailLinks(kind, detail string, links map[string]string) bool {
	added := false
	set := func(k, v string) {
		if v != "" && strings.HasPrefix(v, "http") && links[k] != v {
			links[k] = v
			added = true
		}
	}
	switch kind {
	case "jenkins":
		st := actions.ParseFollowState(detail)
		set(LinkJenkinsQueueItem, st.QueueItem)
		set(LinkJenkinsBuild, st.Build)
	case "comment":
		set(LinkComment, detail)
	}
	return added
}

// mergedLinks is prev's links plus what detail adds, or nil when detail
// adds nothing (RecordOutcome then keeps the stored links).
func mergedLinks(prev map[string]string, kind, detail string) map[string]string {
	links := make(map[string]string, len(prev)+2)
	for k, v := range prev {
		links[k] = v
	}
	if !detailLinks(kind, detail, links) {
		return nil
	}
	return links
}
