package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/store"
)

type gotDetail struct {
	ID, Event, Action, Repo, Sender, Status string
	ReplayOf                                string         `json:"replay_of"`
	RulesMatched                            int            `json:"rules_matched"`
	ActionsCount                            map[string]int `json:"actions_count"`
	ProcessedAt                             *string        `json:"processed_at"`
	ProcessError                            string         `json:"process_error"`
	Headers                                 map[string]string
	Payload                                 json.RawMessage
	Rules                                   []struct {
		Name       string
		Matched    bool
		Conditions []struct {
			Condition string
			OK        bool
			Detail    string
		}
	}
	Actions []struct {
		ID, Rule, Kind, State string
		Index                 int
		Params                json.RawMessage
		Attempts              []struct {
			N          int
			StartedAt  string `json:"started_at"`
			DurationMS int64  `json:"duration_ms"`
			Outcome    string
			Error      string
		}
		NextAttemptAt *string `json:"next_attempt_at"`
		Links         map[string]string
	}
}

// TestDeliveryDetail: the detail holds the headers (never a signature),
// the payload as stored, the rules' explanations, and every action with
// its params, attempts, next attempt and links; a queued delivery has
// empty lists and a null processed_at; unknown ids are 404.
func TestDeliveryDetail(t *testing.T) {
	eachDriver(t, func(t *testing.T, o store.Options) {
		e := newEnv(t, o)
		ctx := context.Background()
		payload := `{"ref":"refs/heads/main","repository":{"full_name":"acme/widgets"}}`
		e.deliver(t, "d-1", "push", payload, 0)
		e.deliver(t, "d/2 odd", "push", `{}`, time.Second)
		rules := []store.RuleRecord{
			{Name: "build", Matched: true, Conditions: []store.ConditionRecord{
				{Condition: "on", OK: true, Detail: "event is push; wanted push"},
				{Condition: "branches", OK: true, Detail: "branch is main; wanted main"}}},
			{Name: "release", Conditions: []store.ConditionRecord{
				{Condition: "on", OK: true, Detail: "event is push; wanted push"},
				{Condition: "tags", OK: false, Detail: "the push is of branch main, not a tag; wanted v*"}}},
		}
		if _, err := e.st.RecordProcessing(ctx, store.Processing{Delivery: "d-1", Repo: "acme/widgets", Sender: "octocat",
			Status: store.ProcessedOK, Rules: rules, At: e.now.Add(time.Second),
			Actions: []store.QueuedAction{
				queued("d-1", "build", 0, "jenkins", `{"server":"main","job":"acme/widgets/main"}`),
				queued("d-1", "build", 1, "http", `{"url":"https://hooks.example.com/","secret":"<secret>"}`),
			}}); err != nil {
			t.Fatal(err)
		}
		started := e.now.Add(2 * time.Second)
		outcomes := []store.Outcome{
			{Delivery: "d-1", Rule: "build", Index: 0, Kind: "jenkins", State: store.OutcomeSucceeded, Attempts: 1,
				Detail: "https://jenkins.example.com/queue/item/7/", Links: map[string]string{"jenkins_build": "https://jenkins.example.com/job/a/3/"},
				Attempt: &store.Attempt{N: 1, StartedAt: started, Duration: 84 * time.Millisecond, Outcome: store.OutcomeSucceeded}},
			{Delivery: "d-1", Rule: "build", Index: 1, Kind: "http", State: store.OutcomeRunning, Attempts: 1},
			// Its process died; the next attempt records it as interrupted, and fails for now.
			{Delivery: "d-1", Rule: "build", Index: 1, Kind: "http", State: store.OutcomeRunning, Attempts: 2,
				Attempt: &store.Attempt{N: 1, StartedAt: started, Outcome: store.AttemptInterrupted, Error: "stopped"}},
			{Delivery: "d-1", Rule: "build", Index: 1, Kind: "http", State: store.OutcomeRetrying, Attempts: 2, LastError: "http: 503",
				NextAttemptAt: started.Add(2 * time.Minute),
				Attempt:       &store.Attempt{N: 2, StartedAt: started.Add(time.Minute), Duration: 1500 * time.Millisecond, Outcome: store.OutcomeRetrying, Error: "http: 503"}},
		}
		for _, oc := range outcomes {
			if err := e.st.RecordOutcome(ctx, oc); err != nil {
				t.Fatal(err)
			}
		}

		r := get(t, e, "/api/v1/deliveries/d-1")
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if strings.Contains(strings.ToLower(r.body), "signature") {
			t.Errorf("the detail mentions a signature: %s", r.body)
		}
		var d gotDetail
		r.json(t, &d)
		if d.ID != "d-1" || d.Status != "running" || d.RulesMatched != 1 || d.ProcessedAt == nil || *d.ProcessedAt != "2026-12-06T12:00:01Z" ||
			d.ActionsCount["succeeded"] != 1 || d.ActionsCount["retrying"] != 1 || len(d.ActionsCount) != 6 {
			t.Errorf("summary: %+v", d)
		}
		if want := map[string]string{"event": "push", "delivery": "d-1", "hook_id": "4242", "user_agent": "GitHub-Hookshot/test"}; !reflect.DeepEqual(d.Headers, want) {
			t.Errorf("headers = %v, want %v", d.Headers, want)
		}
		if string(d.Payload) != payload {
			t.Errorf("payload = %s, want %s", d.Payload, payload)
		}
		if len(d.Rules) != 2 || !d.Rules[0].Matched || d.Rules[1].Matched || d.Rules[1].Conditions[1].Condition != "tags" ||
			d.Rules[1].Conditions[1].OK || d.Rules[1].Conditions[1].Detail != "the push is of branch main, not a tag; wanted v*" {
			t.Errorf("rules = %+v", d.Rules)
		}
		if len(d.Actions) != 2 {
			t.Fatalf("actions = %+v", d.Actions)
		}
		j, h := d.Actions[0], d.Actions[1]
		if j.ID != store.ActionID("d-1", "build", 0) || j.Kind != "jenkins" || j.State != "succeeded" || j.NextAttemptAt != nil ||
			string(j.Params) != `{"server":"main","job":"acme/widgets/main"}` ||
			j.Links["jenkins_build"] != "https://jenkins.example.com/job/a/3/" ||
			len(j.Attempts) != 1 || j.Attempts[0].DurationMS != 84 || j.Attempts[0].StartedAt != "2026-12-06T12:00:02Z" || j.Attempts[0].Outcome != "succeeded" {
			t.Errorf("jenkins action = %+v", j)
		}
		if h.State != "retrying" || h.NextAttemptAt == nil || *h.NextAttemptAt != "2026-12-06T12:02:02Z" ||
			!strings.Contains(string(h.Params), `"secret":"<secret>"`) || len(h.Links) != 0 || len(h.Attempts) != 2 ||
			h.Attempts[0].Outcome != "interrupted" || h.Attempts[1].Outcome != "retrying" || h.Attempts[1].Error != "http: 503" || h.Attempts[1].DurationMS != 1500 {
			t.Errorf("http action = %+v", h)
		}

		// A delivery not processed yet; its id needs escaping in the path.
		r = get(t, e, "/api/v1/deliveries/"+url.PathEscape("d/2 odd"))
		if r.status != http.StatusOK || !strings.Contains(r.body, `"processed_at":null`) || !strings.Contains(r.body, `"rules":[]`) ||
			!strings.Contains(r.body, `"actions":[]`) || !strings.Contains(r.body, `"status":"queued"`) {
			t.Errorf("queued delivery: %d %s", r.status, r.body)
		}
		for _, p := range []string{"/api/v1/deliveries/nope", "/api/v1/deliveries/" + url.PathEscape("d-1 ")} {
			if r := get(t, e, p); r.status != http.StatusNotFound || r.body != `{"error":"delivery not found"}` {
				t.Errorf("%s: %d %s", p, r.status, r.body)
			}
		}
	})
}

// TestReplayAndRetry: a replay is a new delivery <id>.replay-<n> that
// points back and is queued; replaying twice makes two; a failed action can
// be retried once (then it is queued: 409); unknown ids are 404.
func TestReplayAndRetry(t *testing.T) {
	eachDriver(t, func(t *testing.T, o store.Options) {
		e := newEnv(t, o)
		ctx := context.Background()
		e.deliver(t, "d-1", "push", `{"ref":"refs/heads/main"}`, 0)
		if _, err := e.st.RecordProcessing(ctx, store.Processing{Delivery: "d-1", Status: store.ProcessedOK,
			Actions: []store.QueuedAction{queued("d-1", "r", 0, "log", `{}`), queued("d-1", "r", 1, "log", `{}`)}}); err != nil {
			t.Fatal(err)
		}

		for n, want := range []string{"d-1.replay-1", "d-1.replay-2"} {
			e.now = e.now.Add(time.Minute)
			r := post(t, e, "/api/v1/deliveries/d-1/replay")
			if r.status != http.StatusAccepted || r.body != `{"delivery":"`+want+`","replay_of":"d-1"}` {
				t.Fatalf("replay %d: %d %s", n+1, r.status, r.body)
			}
			var d gotDetail
			get(t, e, "/api/v1/deliveries/"+want).json(t, &d)
			if d.ReplayOf != "d-1" || d.Status != "queued" || d.Event != "push" || string(d.Payload) != `{"ref":"refs/heads/main"}` || d.Headers["hook_id"] != "4242" {
				t.Errorf("replay %s: %+v", want, d)
			}
		}
		var g gotList
		get(t, e, "/api/v1/deliveries?q=replay").json(t, &g)
		if !reflect.DeepEqual(g.ids(), []string{"d-1.replay-2", "d-1.replay-1"}) || g.Deliveries[0].ReplayOf != "d-1" {
			t.Errorf("replays listed: %+v", g)
		}
		if r := post(t, e, "/api/v1/deliveries/nope/replay"); r.status != http.StatusNotFound || r.body != `{"error":"delivery not found"}` {
			t.Errorf("replay unknown: %d %s", r.status, r.body)
		}

		failed, queuedID := store.ActionID("d-1", "r", 0), store.ActionID("d-1", "r", 1)
		if err := e.st.RecordOutcome(ctx, store.Outcome{Delivery: "d-1", Rule: "r", Index: 0, Kind: "log", State: store.OutcomeFailed, Attempts: 3, LastError: "boom"}); err != nil {
			t.Fatal(err)
		}
		if r := post(t, e, "/api/v1/actions/"+queuedID+"/retry"); r.status != http.StatusConflict ||
			r.body != `{"error":"action is queued; only a failed or cancelled action can be retried"}` {
			t.Errorf("retry queued: %d %s", r.status, r.body)
		}
		if r := post(t, e, "/api/v1/actions/"+failed+"/retry"); r.status != http.StatusAccepted || r.body != `{"action":"`+failed+`","state":"queued"}` {
			t.Fatalf("retry failed: %d %s", r.status, r.body)
		}
		oc, err := e.st.Outcome(ctx, "d-1", "r", 0)
		if err != nil || oc.State != store.OutcomePending || oc.AttemptBase != 3 {
			t.Errorf("after retry: %+v, %v; want pending with the budget counted from attempt 3", oc, err)
		}
		if r := post(t, e, "/api/v1/actions/"+failed+"/retry"); r.status != http.StatusConflict {
			t.Errorf("second retry: %d %s", r.status, r.body)
		}
		if err := e.st.RecordOutcome(ctx, store.Outcome{Delivery: "d-1", Rule: "r", Index: 0, Kind: "log", State: store.OutcomeRunning, Attempts: 4}); err != nil {
			t.Fatal(err)
		}
		if r := post(t, e, "/api/v1/actions/"+failed+"/retry"); r.status != http.StatusConflict ||
			r.body != `{"error":"action is running; only a failed or cancelled action can be retried"}` {
			t.Errorf("retry running: %d %s", r.status, r.body)
		}
		for _, id := range []string{"0123456789abcdef0123", "nope"} {
			if r := post(t, e, "/api/v1/actions/"+id+"/retry"); r.status != http.StatusNotFound || r.body != `{"error":"action not found"}` {
				t.Errorf("retry %s: %d %s", id, r.status, r.body)
			}
		}
	})
}
