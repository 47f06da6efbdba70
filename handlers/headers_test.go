package handlers

import (
	"net/http"
	"strings"
	"testing"
)

// TestHookIDAndUserAgentStored: the hook id and user agent are stored with
// the delivery for the history, bounded and cut to printable ASCII; the
// signature is not among what is stored.
func TestHookIDAndUserAgentStored(t *testing.T) {
	tests := map[string]struct {
		hookID, agent         string
		wantHookID, wantAgent string
	}{
		"as GitHub sends them": {"123456", "GitHub-Hookshot/044aadd", "123456", "GitHub-Hookshot/044aadd"},
		"absent":               {"", "", "", ""},
		"tabs and non-ASCII":   {"12\t34", "agent\té\u202e", "1234", "agent"},
		"too long":             {strings.Repeat("9", 300), strings.Repeat("a", 300), strings.Repeat("9", 200), strings.Repeat("a", 200)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			h := signedHook("push", "hdr-1", `{"ref":"refs/heads/main"}`)
			h.extra = http.Header{}
			if tc.hookID != "" {
				h.extra.Set("X-GitHub-Hook-ID", tc.hookID)
			}
			h.extra.Set("User-Agent", tc.agent)
			if r := ts.send(t, h); r.status != http.StatusAccepted {
				t.Fatalf("%d %s", r.status, r.body)
			}
			d, ok := ts.store.get("hdr-1")
			if !ok {
				t.Fatal("not stored")
			}
			if d.HookID != tc.wantHookID || d.UserAgent != tc.wantAgent {
				t.Errorf("stored hook id %q, user agent %q; want %q, %q", d.HookID, d.UserAgent, tc.wantHookID, tc.wantAgent)
			}
		})
	}
}
