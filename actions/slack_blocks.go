package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
)

// MaxSlackBlocks is the most blocks Slack takes in one message.
const MaxSlackBlocks = 50

// maxHeaderText is the most characters of a header block's text.
const maxHeaderText = 150

// ValidateBlocks checks rendered Block Kit JSON (a list of blocks, or an
// object with a "blocks" list) for what Slack would refuse with
// invalid_blocks: not JSON, no blocks or more than MaxSlackBlocks, a block
// type Slack does not have, a section without text or fields, a text object
// that is not plain_text or mrkdwn or is empty, a header that is not
// plain_text or is over 150 characters, a context without elements. Text
// over Slack's length limits is not an error: it is cut when sent.
func ValidateBlocks(s string) error {
	blocks, err := parseBlocks(s)
	if err != nil {
		return err
	}
	return checkBlocks(blocks)
}

// parseBlocks decodes rendered Block Kit JSON: a list of blocks, or an
// object with a "blocks" list (what Block Kit Builder exports).
func parseBlocks(s string) (slack.Blocks, error) {
	var blocks slack.Blocks
	s = strings.TrimSpace(s)
	if s == "" {
		return blocks, nil
	}
	raw, err := blocksArray(s)
	if err != nil {
		return blocks, err
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return blocks, fmt.Errorf("slack: blocks are not valid Block Kit JSON: %v", err)
	}
	return blocks, nil
}

// blocksArray returns the JSON list of blocks in s.
func blocksArray(s string) (json.RawMessage, error) {
	if strings.HasPrefix(s, "{") {
		var wrapped struct {
			Blocks json.RawMessage `json:"blocks"`
		}
		if err := json.Unmarshal([]byte(s), &wrapped); err != nil || len(wrapped.Blocks) == 0 {
			return nil, errors.New("slack: blocks must be a JSON list of blocks or an object with a \"blocks\" list")
		}
		s = string(wrapped.Blocks)
	}
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("slack: blocks are not a JSON list: %v", err)
	}
	return json.RawMessage(s), nil
}

// checkBlocks is ValidateBlocks on decoded blocks. An empty set is fine
// here: a message may have text alone.
func checkBlocks(blocks slack.Blocks) error {
	if n := len(blocks.BlockSet); n > MaxSlackBlocks {
		return fmt.Errorf("slack: %d blocks; a message takes at most %d", n, MaxSlackBlocks)
	}
	for i, b := range blocks.BlockSet {
		if err := checkBlock(b); err != nil {
			return fmt.Errorf("slack: block %d (%s): %v", i+1, b.BlockType(), err)
		}
	}
	return nil
}

func checkBlock(b slack.Block) error {
	switch b := b.(type) {
	case *slack.UnknownBlock:
		if b.Type == "" {
			return errors.New(`no "type"`)
		}
		return errors.New("not a Block Kit block type")
	case *slack.SectionBlock:
		if b.Text == nil && len(b.Fields) == 0 {
			return errors.New(`needs "text" or "fields"`)
		}
		if b.Text != nil {
			if err := checkText(b.Text); err != nil {
				return fmt.Errorf("text: %v", err)
			}
		}
		if len(b.Fields) > 10 {
			return fmt.Errorf("%d fields; a section takes at most 10", len(b.Fields))
		}
		for j, f := range b.Fields {
			if f == nil {
				return fmt.Errorf("field %d: not a text object", j+1)
			}
			if err := checkText(f); err != nil {
				return fmt.Errorf("field %d: %v", j+1, err)
			}
		}
	case *slack.HeaderBlock:
		if b.Text == nil {
			return errors.New(`needs "text"`)
		}
		if b.Text.Type != slack.PlainTextType {
			return errors.New(`text must be "plain_text"`)
		}
		if err := checkText(b.Text); err != nil {
			return fmt.Errorf("text: %v", err)
		}
		if n := len([]rune(b.Text.Text)); n > maxHeaderText {
			return fmt.Errorf("text is %d characters; a header takes at most %d", n, maxHeaderText)
		}
	case *slack.ContextBlock:
		if len(b.ContextElements.Elements) == 0 {
			return errors.New(`needs "elements"`)
		}
	}
	return nil
}

// checkText checks a text object's type and that it has text.
func checkText(t *slack.TextBlockObject) error {
	switch {
	case t.Type != slack.PlainTextType && t.Type != slack.MarkdownType:
		return fmt.Errorf(`type %q: want "plain_text" or "mrkdwn"`, t.Type)
	case strings.TrimSpace(t.Text) == "":
		return errors.New("empty")
	}
	return nil
}

// capSections cuts every section block's text to MaxSectionText.
func capSections(blocks slack.Blocks) {
	for _, b := range blocks.BlockSet {
		if sec, ok := b.(*slack.SectionBlock); ok && sec.Text != nil {
			sec.Text.Text = capText(sec.Text.Text, MaxSectionText)
		}
	}
}
