package adminclient

import "testing"

func TestActionCountsString(t *testing.T) {
	tests := map[string]struct {
		in   ActionCounts
		want string
	}{
		"none":                 {ActionCounts{}, "none"},
		"one kind":             {ActionCounts{Succeeded: 2}, "2 succeeded"},
		"trouble first":        {ActionCounts{Succeeded: 3, Failed: 1, Queued: 2}, "1 failed, 2 queued, 3 succeeded"},
		"every state in order": {ActionCounts{1, 2, 3, 4, 5, 6}, "5 failed, 6 cancelled, 3 retrying, 2 running, 1 queued, 4 succeeded"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.in.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
