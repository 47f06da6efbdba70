package actions

import (
	"strings"
	"testing"
)

func TestExternalID(t *testing.T) {
	job := &Job{Delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Rule: "pr:checks", Index: 2}
	d, r, i, ok := ParseExternalID(ExternalID(job))
	if !ok || d != job.Delivery || r != "pr:checks" || i != 2 {
		t.Errorf("round trip: %q %q %d %v", d, r, i, ok)
	}
	for _, bad := range []string{"", "other-app:1", "switchboard:", "switchboard:d:x:r", "switchboard:d:-1:r", "switchboard::0:r", "switchboard:d:0:", "switchboard:d:0"} {
		if _, _, _, ok := ParseExternalID(bad); ok {
			t.Errorf("ParseExternalID(%q) accepted", bad)
		}
	}
}

func TestStripANSI(t *testing.T) {
	tests := map[string]string{
		"\x1b[32mgreen\x1b[0m":       "green",
		"\x1b[1;31mbold red\x1b[m":   "bold red",
		"\x1b]8;;http://x\x07link":   "link",
		"plain [not an escape]":      "plain [not an escape]",
		"\x1b[2K\x1b[1Gprogress 50%": "progress 50%",
	}
	for in, want := range tests {
		if got := StripANSI(in); got != want {
			t.Errorf("StripANSI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCodeBlock(t *testing.T) {
	// A log with a fence of its own cannot close the block.
	got := codeBlock("log:\n", []string{"```", "ok"}, 1000)
	if got != "log:\n````text\n```\nok\n````\n" {
		t.Errorf("codeBlock = %q", got)
	}
	// Cut from the front to whole lines within the limit.
	lines := []string{"aaaa", "bbbb", "cccc", "dddd"}
	got = codeBlock("", lines, len("```text\n")+len("```\n")+12)
	if got != "```text\ncccc\ndddd\n```\n" || len(got) > 8+4+12 {
		t.Errorf("cut codeBlock = %q", got)
	}
	// Multi-byte text is never cut mid-character.
	got = codeBlock("", []string{strings.Repeat("é", 10)}, len("```text\n")+len("```\n")+7)
	if !strings.HasPrefix(got, "```text\n") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("multi-byte cut = %q", got)
	}
	if codeBlock("intro", lines, 3) != "" {
		t.Error("a limit smaller than the fences gave a block")
	}
}

func TestCheckConclusion(t *testing.T) {
	tests := []struct{ state, hint, result, want string }{
		{"success", "", "SUCCESS", "success"},
		{"failure", "", "FAILURE", "failure"},
		{"failure", "", "UNSTABLE", "failure"},
		{"error", "", "ABORTED", "cancelled"},
		{"error", "", Cancelled, "cancelled"},
		{"error", "", "NOT_BUILT", "skipped"},
		{"error", "timed_out", "", "timed_out"},
		{"error", "", "", "failure"},
	}
	for _, tc := range tests {
		if got := checkConclusion(tc.state, tc.hint, tc.result); got != tc.want {
			t.Errorf("checkConclusion(%q, %q, %q) = %q, want %q", tc.state, tc.hint, tc.result, got, tc.want)
		}
	}
}
