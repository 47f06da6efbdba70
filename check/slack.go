package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboard-dev/switchboard/config"
)

// slackConn checks one Slack connection as the slack action uses it.
func slackConn(ctx context.Context, o Options, name string, c *config.SlackConnection) Result {
	label := "slack " + name
	if c.WebhookURL != "" {
		return slackWebhook(ctx, o, label, string(c.WebhookURL))
	}
	return slackToken(ctx, o, label, name, c)
}

// slackWebhook posts an empty message to the incoming webhook: Slack
// answers 400 no_text to a live URL and posts nothing; 404 no_service, 403
// action_prohibited or 410 channel_is_archived say it will not post.
// https://api.slack.com/messaging/webhooks#handling_errors
func slackWebhook(ctx context.Context, o Options, label, hook string) Result {
	u, err := url.Parse(hook)
	if err != nil {
		return Result{label, Fail, "webhook_url is not a URL"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, strings.NewReader("{}"))
	if err != nil {
		return Result{label, Fail, "webhook_url is not a URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		return Result{label, Fail, "incoming webhook: " + transportError(err, hook, u.Path)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	code := firstLine(b)
	switch {
	case resp.StatusCode == http.StatusBadRequest && (code == "no_text" || code == "invalid_payload" || code == "missing_text_or_fallback_or_attachments"):
		return Result{label, OK, "incoming webhook is live (an empty message answered " + code + "; nothing was posted)"}
	case resp.StatusCode == http.StatusOK:
		return Result{label, Fail, "incoming webhook: HTTP 200 to an empty message; is webhook_url a Slack incoming webhook?"}
	default:
		return Result{label, Fail, fmt.Sprintf("incoming webhook: HTTP %d %s: Slack will not post through it", resp.StatusCode, code)}
	}
}

// slackAPI calls a Web API method with the bot token, as the slack action
// does; it returns the decoded body and the token's scopes (X-OAuth-Scopes).
// Slack answers errors as HTTP 200 {"ok":false,"error":...}, and 429 with
// Retry-After over the rate limit.
// https://api.slack.com/web#responses
func slackAPI(ctx context.Context, o Options, api, token, method string, args url.Values, out any) (scopes []string, errCode string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+method, strings.NewReader(args.Encode()))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %s", method, transportError(err, token))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode == http.StatusTooManyRequests {
		return nil, "", fmt.Errorf("%s: rate limited (HTTP 429); try again in %s s", method, resp.Header.Get("Retry-After"))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s: HTTP %d", method, resp.StatusCode)
	}
	var env struct {
		OK     bool   `json:"ok"`
		Error  string `json:"error"`
		Needed string `json:"needed"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, "", fmt.Errorf("%s: the answer is not Slack's JSON; is api_url the Web API?", method)
	}
	for _, s := range strings.Split(resp.Header.Get("X-OAuth-Scopes"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			scopes = append(scopes, s)
		}
	}
	if !env.OK {
		if env.Error == "missing_scope" && env.Needed != "" {
			return scopes, "missing_scope:" + env.Needed, nil
		}
		return scopes, env.Error, nil
	}
	if out != nil {
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(out); err != nil {
			return nil, "", fmt.Errorf("%s: %v", method, err)
		}
	}
	return scopes, "", nil
}

// channel is what conversations.list and conversations.info say of one.
type channel struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	IsPrivate  bool   `json:"is_private"`
	IsArchived bool   `json:"is_archived"`
	IsMember   bool   `json:"is_member"`
}

// channelIDRE is a public (C) or private (G) channel ID.
var channelIDRE = regexp.MustCompile(`^[CG][A-Z0-9]{6,}$`)

// slackToken checks the bot token with auth.test, then each channel the
// rules name without a template: it exists, is not archived, and the bot
// can post there (a member, or chat:write.public for a public channel).
// Membership is read with conversations.list (names) and conversations.info
// (IDs), which need channels:read; without it the channels are not checked.
func slackToken(ctx context.Context, o Options, label, name string, c *config.SlackConnection) Result {
	token := string(c.Token)
	var who struct {
		User string `json:"user"`
		Team string `json:"team"`
	}
	scopes, code, err := slackAPI(ctx, o, c.APIURL, token, "auth.test", url.Values{}, &who)
	switch {
	case err != nil:
		return Result{label, Fail, err.Error()}
	case code == "invalid_auth" || code == "not_authed" || code == "account_inactive" || code == "token_revoked":
		return Result{label, Fail, "auth.test: " + code + ": slack." + name + ".token is not a valid token"}
	case code != "":
		return Result{label, Fail, "auth.test: " + code}
	}
	found := []string{"authenticated as " + who.User + " in " + who.Team}
	channels := staticChannels(o.Config, name)
	if len(channels) == 0 {
		return result(label, nil, found)
	}
	public := slices.Contains(scopes, "chat:write.public")

	var problems, fine []string
	var listed map[string]channel // by name, read once
	for _, ch := range channels {
		var info channel
		var known bool
		switch {
		case strings.HasPrefix(ch, "@") || strings.HasPrefix(ch, "U") || strings.HasPrefix(ch, "D"):
			fine = append(fine, ch+" (a direct message: not checked)")
			continue
		case channelIDRE.MatchString(ch):
			var out struct {
				Channel channel `json:"channel"`
			}
			_, code, err := slackAPI(ctx, o, c.APIURL, token, "conversations.info", url.Values{"channel": {ch}}, &out)
			switch {
			case err != nil:
				problems = append(problems, ch+": "+err.Error())
				continue
			case strings.HasPrefix(code, "missing_scope:"):
				found = append(found, "channel membership not checked: the token lacks "+strings.TrimPrefix(code, "missing_scope:"))
				return result(label, problems, found)
			case code == "channel_not_found":
			case code != "":
				problems = append(problems, ch+": conversations.info: "+code)
				continue
			default:
				info, known = out.Channel, true
			}
		default:
			if listed == nil {
				l, code, err := listChannels(ctx, o, c.APIURL, token)
				switch {
				case err != nil:
					problems = append(problems, err.Error())
					return result(label, problems, found)
				case strings.HasPrefix(code, "missing_scope:"):
					found = append(found, "channel membership not checked: the token lacks "+strings.TrimPrefix(code, "missing_scope:"))
					return result(label, problems, found)
				case code != "":
					problems = append(problems, "conversations.list: "+code)
					return result(label, problems, found)
				}
				listed = l
			}
			info, known = listed[strings.TrimPrefix(ch, "#")]
		}
		switch {
		case !known:
			problems = append(problems, ch+": channel_not_found (or private, without the bot in it)")
		case info.IsArchived:
			problems = append(problems, ch+": is archived")
		case info.IsMember:
			fine = append(fine, ch+" (member)")
		case !info.IsPrivate && public:
			fine = append(fine, ch+" (not a member; chat:write.public)")
		default:
			problems = append(problems, ch+": the bot is not a member: invite it (/invite @"+who.User+"), or give the token chat:write.public")
		}
	}
	if len(fine) > 0 {
		found = append(found, "can post to "+strings.Join(fine, ", "))
	}
	return result(label, problems, found)
}

// listChannels pages through conversations.list.
func listChannels(ctx context.Context, o Options, api, token string) (map[string]channel, string, error) {
	out := map[string]channel{}
	cursor := ""
	for page := 0; page < 100; page++ {
		var body struct {
			Channels []channel `json:"channels"`
			Meta     struct {
				NextCursor string `json:"next_cursor"`
			} `json:"response_metadata"`
		}
		args := url.Values{"types": {"public_channel,private_channel"}, "limit": {"200"}}
		if cursor != "" {
			args.Set("cursor", cursor)
		}
		_, code, err := slackAPI(ctx, o, api, token, "conversations.list", args, &body)
		if err != nil || code != "" {
			return nil, code, err
		}
		for _, ch := range body.Channels {
			out[ch.Name] = ch
		}
		if cursor = body.Meta.NextCursor; cursor == "" {
			return out, "", nil
		}
	}
	return out, "", nil
}

// staticChannels lists, in order, the channels the connection's actions
// name without a template.
func staticChannels(cfg *config.Config, conn string) []string {
	var out []string
	for _, r := range cfg.Rules {
		for _, a := range r.Do {
			if a.Slack != nil && a.Slack.Connection == conn && a.Slack.Channel != "" && static(a.Slack.Channel) && !slices.Contains(out, a.Slack.Channel) {
				out = append(out, a.Slack.Channel)
			}
		}
	}
	return out
}
