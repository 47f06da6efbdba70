package actions

import (
	"strings"
	"testing"
)

func TestValidateBlocks(t *testing.T) {
	section := `{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}`
	many := "[" + strings.TrimSuffix(strings.Repeat(section+",", MaxSlackBlocks+1), ",") + "]"
	tests := map[string]struct {
		blocks string
		want   string // "" = valid
	}{
		"a section":                {blocks: "[" + section + "]"},
		"Block Kit Builder export": {blocks: `{"blocks": [` + section + `, {"type": "divider"}]}`},
		"section with fields only": {blocks: `[{"type": "section", "fields": [{"type": "plain_text", "text": "a"}, {"type": "mrkdwn", "text": "b"}]}]`},
		"header and context": {blocks: `[{"type": "header", "text": {"type": "plain_text", "text": "Build"}},
			{"type": "context", "elements": [{"type": "mrkdwn", "text": "by octocat"}]}]`},
		"long section text is cut, not refused": {blocks: `[{"type": "section", "text": {"type": "mrkdwn", "text": "` + strings.Repeat("x", 4000) + `"}}]`},
		"empty":                                 {blocks: ""},

		"not a list":         {blocks: `{"foo": 1}`, want: `blocks must be a JSON list of blocks or an object with a "blocks" list`},
		"not JSON":           {blocks: `[{`, want: "blocks are not a JSON list"},
		"text not an object": {blocks: `[{"type": "section", "text": 5}]`, want: "blocks are not valid Block Kit JSON"},
		"too many":           {blocks: many, want: "51 blocks; a message takes at most 50"},
		"unknown type":       {blocks: `[{"type": "sektion"}]`, want: "block 1 (sektion): not a Block Kit block type"},
		"no type":            {blocks: `[{"text": "x"}]`, want: `block 1 (): no "type"`},
		"empty section":      {blocks: `[{"type": "divider"}, {"type": "section"}]`, want: `block 2 (section): needs "text" or "fields"`},
		"bad text type":      {blocks: `[{"type": "section", "text": {"type": "markdown", "text": "x"}}]`, want: `block 1 (section): text: type "markdown": want "plain_text" or "mrkdwn"`},
		"empty text":         {blocks: `[{"type": "section", "text": {"type": "mrkdwn", "text": " "}}]`, want: "block 1 (section): text: empty"},
		"bad field":          {blocks: `[{"type": "section", "fields": [{"type": "mrkdwn", "text": "a"}, {"type": "mrkdwn", "text": ""}]}]`, want: "block 1 (section): field 2: empty"},
		"mrkdwn header":      {blocks: `[{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]`, want: `block 1 (header): text must be "plain_text"`},
		"long header":        {blocks: `[{"type": "header", "text": {"type": "plain_text", "text": "` + strings.Repeat("h", 151) + `"}}]`, want: "151 characters; a header takes at most 150"},
		"empty context":      {blocks: `[{"type": "context", "elements": []}]`, want: `block 1 (context): needs "elements"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := ValidateBlocks(tc.blocks)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
