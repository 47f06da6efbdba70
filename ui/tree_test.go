package ui

import (
	"encoding/json"
	"testing"
)

func TestTree(t *testing.T) {
	root, n, truncated := tree(json.RawMessage(`{"z":1,"a":{"b":[true,null,"<x>"]},"e":{}}`), maxNodes)
	if truncated || n != 8 {
		t.Fatalf("n=%d truncated=%v", n, truncated)
	}
	if got := []string{root.Children[0].Key, root.Children[1].Key, root.Children[2].Key}; got[0] != "z" || got[1] != "a" || got[2] != "e" {
		t.Fatalf("keys out of order: %v", got)
	}
	arr := root.Children[1].Children[0]
	if arr.Kind != "array" || arr.Summary() != "[3 items]" || arr.Children[2].Value != `"<x>"` || arr.Children[1].Kind != "null" {
		t.Fatalf("array: %+v", arr)
	}
	if !root.Open || root.Children[1].Open {
		t.Fatal("only the root starts open")
	}

	_, n, truncated = tree(json.RawMessage(`[1,2,3,4,5,6]`), 4)
	if !truncated || n != 4 {
		t.Fatalf("limit 4: n=%d truncated=%v", n, truncated)
	}
	if root, _, _ := tree(json.RawMessage(`{"a":`), maxNodes); root != nil {
		t.Fatal("broken JSON drew a tree")
	}
	if root, _, _ := tree(nil, maxNodes); root != nil {
		t.Fatal("no payload drew a tree")
	}
}

func TestOutsideLinks(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://github.com/a/b":   true,
		"http://jenkins:8080/job/": true,
		"javascript:alert(1)":      false,
		"JAVASCRIPT:alert(1)":      false,
		"data:text/html,<x>":       false,
		"//evil.example/":          false,
		"":                         false,
	} {
		if _, ok := outside("l", raw); ok != want {
			t.Errorf("%q: %v, want %v", raw, ok, want)
		}
	}
}

// TestDeliveryURLStaysUnderUI: the retry form's delivery field and every id
// become one path segment under /ui/deliveries/, never another site or path.
func TestDeliveryURLStaysUnderUI(t *testing.T) {
	for id, want := range map[string]string{
		"72d3162e-cc78":   "/ui/deliveries/72d3162e-cc78",
		"a.replay-1":      "/ui/deliveries/a.replay-1",
		"//evil.example/": "/ui/deliveries/%2F%2Fevil.example%2F",
		"../../api/v1":    "/ui/deliveries/..%2F..%2Fapi%2Fv1",
		"x?y#z":           "/ui/deliveries/x%3Fy%23z",
	} {
		if got := deliveryURL(id); got != want {
			t.Errorf("%q: %s, want %s", id, got, want)
		}
	}
}

func TestSummaryCounts(t *testing.T) {
	for in, want := range map[string]string{
		`{}`: "{0 keys}", `{"a":1}`: "{1 key}", `{"a":1,"b":2}`: "{2 keys}",
		`[]`: "[0 items]", `[1]`: "[1 item]", `[1,2]`: "[2 items]",
	} {
		root, _, _ := tree(json.RawMessage(in), maxNodes)
		if got := root.Summary(); got != want {
			t.Errorf("%s: Summary() = %q, want %q", in, got, want)
		}
	}
}
