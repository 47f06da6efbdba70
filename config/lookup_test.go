package config

import (
	"reflect"
	"slices"
	"testing"
)

func TestLookups(t *testing.T) {
	one := mustLoad(t, fixture("defaults_actions.yml"), nil)
	two := mustLoad(t, fixture("anchors_valid.yml"), nil)
	found := func(_ any, ok bool) bool { return ok }
	tests := map[string]struct{ got, want any }{
		"jenkins by name":                  {one.Jenkins["only"] == must(one.JenkinsServer("only")), true},
		"jenkins by empty name, one":       {one.Jenkins["only"] == must(one.JenkinsServer("")), true},
		"jenkins by empty name, two":       {found(two.JenkinsServer("")), false},
		"jenkins unknown":                  {found(two.JenkinsServer("nope")), false},
		"jenkins second of two":            {two.Jenkins["copy"] == must(two.JenkinsServer("copy")), true},
		"slack by empty name, one":         {one.Slack["hook"] == mustSlack(one.SlackConnection("")), true},
		"slack when none":                  {found(two.SlackConnection("")), false},
		"action key":                       {one.ActionKey(2, 5), "rules[2].do[5]"},
		"item key of a list":               {two.ItemKey("rules[0].on", 1), "rules[0].on[1]"},
		"item key of an aliased list":      {two.ItemKey("rules[1].on", 1), "rules[1].on[1]"},
		"item key of one string":           {mustLoad(t, fixture("minimal.yml"), map[string]string{"GITHUB_WEBHOOK_SECRET": "s"}).ItemKey("rules[0].on", 0), "rules[0].on"},
		"kind of nil action":               {(*Action)(nil).Kind(), ""},
		"kind of empty action":             {(&Action{}).Kind(), ""},
		"events listed once":               {len(Events()), 16},
		"known event with actions":         {pair(KnownEvent("pull_request")), [2]bool{true, true}},
		"known event without actions":      {pair(KnownEvent("push")), [2]bool{true, false}},
		"unknown event":                    {pair(KnownEvent("pushed")), [2]bool{false, false}},
		"action kinds are Action's fields": {ActionKinds(), fieldNames(reflect.TypeFor[Action]())},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s: got %#v, want %#v", name, tc.got, tc.want)
			}
		})
	}
	// Every kind Kind reports is one of ActionKinds, for a loaded config.
	for _, r := range two.Rules {
		for _, a := range r.Do {
			if !slices.Contains(ActionKinds(), a.Kind()) {
				t.Errorf("Kind() = %q, not an action kind", a.Kind())
			}
		}
	}
}

func must(s *JenkinsServer, ok bool) *JenkinsServer {
	if !ok {
		return nil
	}
	return s
}

func mustSlack(s *SlackConnection, ok bool) *SlackConnection {
	if !ok {
		return nil
	}
	return s
}

func pair(a, b bool) [2]bool { return [2]bool{a, b} }

func fieldNames(t reflect.Type) []string {
	var out []string
	for _, f := range yamlFields(t) {
		out = append(out, f.name)
	}
	return out
}
