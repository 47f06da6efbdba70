package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/config"
)

// Slack's limits (https://api.slack.com/methods/chat.postMessage#truncating).
const (
	// MaxSlackText is the most characters of message text Slack keeps.
	MaxSlackText = 40000
	// MaxSectionText is the most characters of a section block's text;
	// Slack refuses longer ones as invalid_blocks.
	MaxSectionText = 3000
	// defaultSlackAPI is the Web API root.
	defaultSlackAPI = "https://slack.com/api/"
)

// Slack posts messages with chat.postMessage and a bot token, or to an
// incoming webhook. The text arrives rendered and already escaped by the
// templates (slackescape); this runner only enforces Slack's limits.
type Slack struct {
	conns  map[string]*slackConn
	client *http.Client
	now    func() time.Time
}

// slackConn is one configured connection.
type slackConn struct {
	name    string
	api     *slack.Client // set for a bot token
	webhook string        // set for an incoming webhook; the URL is a secret
	scrub   []string
}

// newSlack prepares every connection in cfg.Slack.
func newSlack(cfg *config.Config, client *http.Client, now func() time.Time) (*Slack, config.Errors) {
	s := &Slack{conns: map[string]*slackConn{}, client: client, now: now}
	var errs config.Errors
	names := make([]string, 0, len(cfg.Slack))
	for name := range cfg.Slack {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cfg.Slack[name]
		if c == nil {
			continue
		}
		key := "slack." + name
		conn := &slackConn{name: name}
		switch {
		case c.Token != "" && c.WebhookURL != "":
			errs = append(errs, cfg.Errorf(key, "give token or webhook_url, not both"))
			continue
		case c.Token != "":
			api := c.APIURL
			if api == "" {
				api = defaultSlackAPI
			}
			if u, err := url.Parse(api); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, cfg.Errorf(key+".api_url", "want an absolute http(s) URL such as %s", defaultSlackAPI))
				continue
			}
			if !strings.HasSuffix(api, "/") {
				api += "/"
			}
			conn.api = slack.New(string(c.Token), slack.OptionAPIURL(api), slack.OptionHTTPClient(client))
			conn.scrub = []string{string(c.Token)}
		case c.WebhookURL != "":
			u, err := url.Parse(string(c.WebhookURL))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				// Do not quote the value: it is a secret.
				errs = append(errs, cfg.Errorf(key+".webhook_url", "want an absolute http(s) URL"))
				continue
			}
			conn.webhook = string(c.WebhookURL)
			conn.scrub = []string{conn.webhook, u.Path}
		default:
			errs = append(errs, cfg.Errorf(key, "give token (chat.postMessage) or webhook_url (incoming webhook)"))
			continue
		}
		s.conns[name] = conn
	}
	return s, errs
}

// Run posts job.Slack.
func (s *Slack) Run(ctx context.Context, job *Job) (Result, error) {
	if job.Slack == nil {
		return Result{}, errMissingFields("slack")
	}
	sj := job.Slack
	conn, err := s.conn(sj.Connection)
	if err != nil {
		return Result{}, Permanent(err)
	}
	blocks, err := parseBlocks(sj.Blocks)
	if err == nil {
		err = checkBlocks(blocks)
	}
	if err != nil {
		return Result{}, Permanent(err)
	}
	text := capText(sj.Text, MaxSlackText)
	capSections(blocks)
	if strings.TrimSpace(text) == "" && len(blocks.BlockSet) == 0 {
		return Result{}, Permanentf("slack: the message has neither text nor blocks")
	}
	if conn.webhook != "" {
		return s.postWebhook(ctx, conn, text, blocks)
	}
	if sj.Channel == "" {
		return Result{}, Permanentf("slack: no channel given for connection %q", conn.name)
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if len(blocks.BlockSet) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks.BlockSet...))
	}
	channel, ts, err := conn.api.PostMessageContext(ctx, sj.Channel, opts...)
	if err != nil {
		return Result{}, slackError(err, conn.scrub)
	}
	return Result{Detail: channel + "/" + ts, Message: fmt.Sprintf("posted to %s", sj.Channel)}, nil
}

// conn finds the named connection; the name may be left out when there is one.
func (s *Slack) conn(name string) (*slackConn, error) {
	if name == "" && len(s.conns) == 1 {
		for _, c := range s.conns {
			return c, nil
		}
	}
	if c, ok := s.conns[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("slack: no connection named %q is configured", name)
}

// slackError keeps slack-go's typed errors (Classify reads them) and makes
// sure no URL or token rides along in the message.
func slackError(err error, secrets []string) error {
	var (
		rate  *slack.RateLimitedError
		code  slack.StatusCodeError
		resp  slack.SlackErrorResponse
		urlEr *url.Error
	)
	switch {
	case errors.As(err, &rate), errors.As(err, &code), errors.As(err, &resp):
		return err
	case errors.As(err, &urlEr):
		return redactURLError(err)
	}
	if msg := err.Error(); scrub(msg, secrets) != msg {
		return errors.New(scrub(msg, secrets))
	}
	return err
}

// webhookMessage is an incoming webhook's JSON body.
type webhookMessage struct {
	Text   string          `json:"text,omitempty"`
	Blocks json.RawMessage `json:"blocks,omitempty"`
}

// postWebhook posts to an incoming webhook. Its answers are plain text
// (https://api.slack.com/messaging/webhooks#handling_errors): 200 "ok"; 400
// invalid_payload or no_text; 403 action_prohibited; 404 channel_not_found;
// 410 channel_is_archived; 429 with Retry-After; 5xx rollup_error.
func (s *Slack) postWebhook(ctx context.Context, conn *slackConn, text string, blocks slack.Blocks) (Result, error) {
	msg := webhookMessage{Text: text}
	if len(blocks.BlockSet) > 0 {
		raw, err := json.Marshal(blocks.BlockSet)
		if err != nil {
			return Result{}, Permanent(fmt.Errorf("slack: encoding blocks: %v", err))
		}
		msg.Blocks = raw
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return Result{}, Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, conn.webhook, bytes.NewReader(body))
	if err != nil {
		return Result{}, Permanent(redactURLError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{}, redactURLError(err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return Result{}, newHTTPError("slack", resp, s.now(), conn.scrub)
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxReadBody))
	if a := strings.TrimSpace(string(answer)); a != "ok" {
		return Result{}, Permanentf("slack: incoming webhook answered %q", truncate(scrub(a, conn.scrub), maxErrorBody))
	}
	return Result{Detail: "webhook", Message: fmt.Sprintf("posted to the webhook of %s", conn.name)}, nil
}

// capText cuts text to max characters, marking the cut with an ellipsis and
// never splitting an escape such as &amp;.
func capText(text string, max int) string {
	if len(text) <= max {
		return text
	}
	r := []rune(text)
	if len(r) <= max {
		return text
	}
	cut := r[:max-1]
	if i := lastIndexRune(cut, '&'); i >= 0 && len(cut)-i < len("&amp;") && lastIndexRune(cut[i:], ';') < 0 {
		cut = cut[:i]
	}
	return string(cut) + "…"
}

func lastIndexRune(r []rune, c rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == c {
			return i
		}
	}
	return -1
}
