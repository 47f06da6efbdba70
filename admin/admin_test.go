package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/store"
)

type gotList struct {
	Deliveries []struct {
		ID, Event, Action, Repo, Sender, Status string
		ReceivedAt                              string `json:"received_at"`
		ReplayOf                                string `json:"replay_of"`
		RulesMatched                            int    `json:"rules_matched"`
		Actions                                 map[string]int
	}
	NextCursor string `json:"next_cursor"`
}

func (g gotList) ids() []string {
	var out []string
	for _, d := range g.Deliveries {
		out = append(out, d.ID)
	}
	return out
}

const unauthorized = `{"error":"missing or wrong admin token (Authorization: Bearer <token>)"}`

// TestAuth: every path, known or not, answers 401 with the same body to a
// caller without the token; the right token is accepted in any case of
// "Bearer"; without a configured token everything is 404.
func TestAuth(t *testing.T) {
	eachDriver(t, func(t *testing.T, o store.Options) {
		e := newEnv(t, o)
		e.deliver(t, "d-1", "push", `{}`, 0)
		paths := []struct{ method, path string }{
			{"GET", "/api/v1/deliveries"}, {"GET", "/api/v1/deliveries/d-1"}, {"GET", "/api/v1/deliveries/nope"},
			{"POST", "/api/v1/deliveries/d-1/replay"}, {"POST", "/api/v1/actions/0123/retry"}, {"GET", "/api/v1/unknown"},
		}
		for _, p := range paths {
			for name, auth := range map[string]string{
				"missing": "", "wrong": "Bearer " + token + "x", "prefix": "Bearer " + token[:10], "basic": "Basic " + token,
				"no scheme": token, "empty bearer": "Bearer ",
			} {
				r := call(t, p.method, e.url+p.path, auth)
				if r.status != http.StatusUnauthorized || r.body != unauthorized || r.header.Get("WWW-Authenticate") != `Bearer realm="switchboard"` {
					t.Errorf("%s %s with %s token: %d %s", p.method, p.path, name, r.status, r.body)
				}
			}
		}
		if r := call(t, "GET", e.url+"/api/v1/deliveries", "bearer "+token); r.status != http.StatusOK {
			t.Errorf("lower-case bearer: %d %s", r.status, r.body)
		}
		if r := get(t, e, "/api/v1/unknown"); r.status != http.StatusNotFound || r.body != `{"error":"not found"}` {
			t.Errorf("unknown path with the token: %d %s", r.status, r.body)
		}
		// Replay is POST only: GET is 405 with Allow.
		if r := get(t, e, "/api/v1/deliveries/d-1/replay"); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
			t.Errorf("GET replay: %d %s", r.status, r.body)
		}
		if r := post(t, e, "/api/v1/deliveries"); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET" {
			t.Errorf("POST list: %d %s", r.status, r.body)
		}
	})

	off, err := New(Options{Store: &store.Store{}, Token: func() string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(off)
	defer srv.Close()
	for _, auth := range []string{"", "Bearer ", "Bearer anything"} {
		if r := call(t, "GET", srv.URL+"/api/v1/deliveries", auth); r.status != http.StatusNotFound || r.body != `{"error":"not found"}` {
			t.Errorf("API off, auth %q: %d %s", auth, r.status, r.body)
		}
	}
	if off.CheckToken("") || off.CheckToken("x") {
		t.Error("CheckToken true with the API off")
	}
}

// TestListFiltersAndBadQueries: each filter selects what it says; bad
// values are 400 naming the parameter.
func TestListFiltersAndBadQueries(t *testing.T) {
	eachDriver(t, func(t *testing.T, o store.Options) {
		e := newEnv(t, o)
		ctx := context.Background()
		e.deliver(t, "p-1", "push", `{"ref":"refs/heads/main"}`, 1*time.Second)
		e.deliver(t, "p-2", "push", `{}`, 2*time.Second)
		e.deliver(t, "pr-1", "pull_request", `{}`, 3*time.Second)
		e.deliver(t, "pr-2", "pull_request", `{}`, 4*time.Second)
		e.deliver(t, "q-1", "issues", `{}`, 5*time.Second) // never processed
		record := func(p store.Processing) {
			t.Helper()
			if _, err := e.st.RecordProcessing(ctx, p); err != nil {
				t.Fatalf("RecordProcessing(%s): %v", p.Delivery, err)
			}
		}
		rules := []store.RuleRecord{{Name: "r", Matched: true, Conditions: []store.ConditionRecord{{Condition: "on", OK: true, Detail: "event is push; wanted push"}}}}
		record(store.Processing{Delivery: "p-1", Repo: "Acme/Widgets", Sender: "octocat", Status: store.ProcessedOK, Rules: rules,
			Actions: []store.QueuedAction{queued("p-1", "r", 0, "log", `{"message":"x"}`)}})
		record(store.Processing{Delivery: "p-2", Repo: "acme/other", Sender: "hubot", Status: store.ProcessedOK})
		record(store.Processing{Delivery: "pr-1", Action: "opened", Repo: "acme/widgets", Sender: "octocat", Status: store.ProcessedOK, Rules: rules,
			Actions: []store.QueuedAction{queued("pr-1", "r", 0, "log", `{}`), queued("pr-1", "r", 1, "log", `{}`)}})
		record(store.Processing{Delivery: "pr-2", Action: "closed", Repo: "acme/widgets", Sender: "mona_lisa", Status: store.ProcessedError, Error: "rule r: expr: boom"})
		// pr-1: one action succeeded, one failed; p-1's still queued.
		for i, st := range []string{store.OutcomeSucceeded, store.OutcomeFailed} {
			if err := e.st.RecordOutcome(ctx, store.Outcome{Delivery: "pr-1", Rule: "r", Index: i, Kind: "log", State: st, Attempts: 1}); err != nil {
				t.Fatal(err)
			}
		}

		tests := map[string]struct {
			query string
			want  []string
		}{
			"all, newest first":         {"", []string{"q-1", "pr-2", "pr-1", "p-2", "p-1"}},
			"repo, any case":            {"repo=ACME/widgets", []string{"pr-2", "pr-1", "p-1"}},
			"event":                     {"event=push", []string{"p-2", "p-1"}},
			"status queued":             {"status=queued", []string{"q-1"}},
			"status running":            {"status=running", []string{"p-1"}},
			"status failed":             {"status=failed", []string{"pr-1"}},
			"status error":              {"status=error", []string{"pr-2"}},
			"status no_match":           {"status=no_match", []string{"p-2"}},
			"q matches sender":          {"q=HUBOT", []string{"p-2"}},
			"q matches action":          {"q=clos", []string{"pr-2"}},
			"q matches id":              {"q=pr-", []string{"pr-2", "pr-1"}},
			"q underscore is literal":   {"q=a_l", []string{"pr-2"}},
			"q percent is literal":      {"q=" + url.QueryEscape("%"), nil},
			"filters combine":           {"event=pull_request&q=octo", []string{"pr-1"}},
			"unknown parameter ignored": {"color=blue", []string{"q-1", "pr-2", "pr-1", "p-2", "p-1"}},
		}
		for name, tc := range tests {
			r := get(t, e, "/api/v1/deliveries?"+tc.query)
			var g gotList
			r.json(t, &g)
			if r.status != http.StatusOK || !reflect.DeepEqual(g.ids(), tc.want) {
				t.Errorf("%s: %d ids %v, want %v (%s)", name, r.status, g.ids(), tc.want, r.body)
			}
		}

		// The summary's fields.
		var g gotList
		get(t, e, "/api/v1/deliveries?q=pr-1").json(t, &g)
		d := g.Deliveries[0]
		wantCounts := map[string]int{"queued": 0, "running": 0, "retrying": 0, "succeeded": 1, "failed": 1, "cancelled": 0}
		if d.Event != "pull_request" || d.Action != "opened" || d.Repo != "acme/widgets" || d.Sender != "octocat" ||
			d.ReceivedAt != "2026-12-06T12:00:03Z" || d.RulesMatched != 1 || d.Status != "failed" || !reflect.DeepEqual(d.Actions, wantCounts) {
			t.Errorf("summary of pr-1: %+v", d)
		}
		if r := get(t, e, "/api/v1/deliveries?q=pr-1"); !strings.Contains(r.body, `"replay_of":""`) || r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("replay_of or Cache-Control missing: %s %v", r.body, r.header)
		}

		bad := map[string]string{
			"limit=0":                                "limit: must be an integer from 1 to 500",
			"limit=501":                              "limit: must be an integer from 1 to 500",
			"limit=ten":                              "limit: must be an integer from 1 to 500",
			"limit=":                                 "limit: must be an integer from 1 to 500",
			"limit=-1":                               "limit: must be an integer from 1 to 500",
			"status=ok":                              "status: must be one of queued, running, failed, error, succeeded, no_match",
			"cursor=abc":                             "cursor: not a cursor this server made",
			"cursor=" + url.QueryEscape("MTI.") + "": "cursor: not a cursor this server made",
			"cursor=" + url.QueryEscape("eA.ZC0x"):   "cursor: not a cursor this server made",
			"repo=" + strings.Repeat("a", 201):       "repo: longer than 200 bytes",
			"event=" + strings.Repeat("e", 101):      "event: longer than 100 bytes",
			"q=" + strings.Repeat("q", 201):          "q: longer than 200 bytes",
		}
		for q, msg := range bad {
			r := get(t, e, "/api/v1/deliveries?"+q)
			if want := `{"error":"` + msg + `"}`; r.status != http.StatusBadRequest || r.body != want {
				t.Errorf("?%s: %d %s, want 400 %s", q, r.status, r.body, want)
			}
		}
	})
}

// TestPagingWhileDeliveriesArrive: 57 deliveries, some received at the
// same instant, paged 10 at a time while new ones arrive between pages:
// the pages hold the 57 exactly once, newest first, and the last page's
// cursor is "".
func TestPagingWhileDeliveriesArrive(t *testing.T) {
	eachDriver(t, func(t *testing.T, o store.Options) {
		e := newEnv(t, o)
		var want []string
		for i := 0; i < 57; i++ {
			id := fmt.Sprintf("d-%02d", i)
			// Three deliveries per instant: the id breaks the tie.
			e.deliver(t, id, "push", `{}`, time.Duration(i/3)*time.Millisecond)
			want = append([]string{id}, want...)
		}
		var got []string
		cursor, pages := "", 0
		for {
			q := "/api/v1/deliveries?limit=10"
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			r := get(t, e, q)
			var g gotList
			r.json(t, &g)
			if r.status != http.StatusOK {
				t.Fatalf("page %d: %d %s", pages, r.status, r.body)
			}
			got = append(got, g.ids()...)
			pages++
			// A new delivery arrives between pages.
			e.deliver(t, fmt.Sprintf("new-%d", pages), "push", `{}`, time.Hour+time.Duration(pages)*time.Second)
			if g.NextCursor == "" {
				break
			}
			cursor = g.NextCursor
			if pages > 10 {
				t.Fatal("more pages than there are deliveries")
			}
		}
		if pages != 6 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%d pages, ids:\n%v\nwant:\n%v", pages, got, want)
		}
		// Default page size is 50.
		var g gotList
		get(t, e, "/api/v1/deliveries").json(t, &g)
		if len(g.Deliveries) != 50 || g.NextCursor == "" {
			t.Fatalf("default page: %d deliveries, cursor %q", len(g.Deliveries), g.NextCursor)
		}
	})
}
