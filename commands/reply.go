package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/switchboard-dev/switchboard/config"
)

func (c *comment) react(ctx context.Context, content string) error {
	if c.id <= 0 {
		return nil
	}
	_, _, err := c.gc.Reactions.CreateIssueCommentReaction(ctx, c.owner, c.repo, c.id, content)
	if err != nil {
		return fmt.Errorf("react %s on comment %d: %w", content, c.id, err)
	}
	return nil
}

func (c *comment) reply(ctx context.Context, body string) error {
	_, _, err := c.gc.Issues.CreateComment(ctx, c.owner, c.repo, c.number, &github.IssueComment{Body: github.String(body)})
	if err != nil {
		return fmt.Errorf("reply on #%d: %w", c.number, err)
	}
	return nil
}

// replyOnce replies unless a reply of this kind to this comment is there
// already (a delivery processed again): the reply carries a hidden marker.
func (c *comment) replyOnce(ctx context.Context, kind, body string) error {
	marker := fmt.Sprintf("<!-- switchboard:%s:%d -->", kind, c.id)
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for page := 0; page < 30; page++ {
		list, resp, err := c.gc.Issues.ListComments(ctx, c.owner, c.repo, c.number, opts)
		if err != nil {
			return fmt.Errorf("list comments of #%d: %w", c.number, err)
		}
		for _, old := range list {
			if strings.Contains(old.GetBody(), marker) {
				return nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return c.reply(ctx, body+"\n\n"+marker)
}

func whoMay(cfg config.Commands) string {
	who := "authors whose association with the repository is " + strings.Join(cfg.Trusted, ", ")
	if len(cfg.Users) > 0 {
		who += "; the users " + strings.Join(cfg.Users, ", ")
	}
	if len(cfg.Teams) > 0 {
		who += "; members of the teams " + strings.Join(cfg.Teams, ", ")
	}
	return who
}

func untrustedText(login string, cfg config.Commands) string {
	return fmt.Sprintf("@%s: Switchboard commands may be run by %s. Nothing was run.", login, whoMay(cfg))
}

func helpText(cfg config.Commands) string {
	return "Switchboard commands (one per line of a comment):\n\n" +
		"| command | what it does |\n| --- | --- |\n" +
		"| `/retest` | runs again every Jenkins build of the head commit whose last result was failure, error, cancelled or timed out |\n" +
		"| `/build` | runs the pull request rules again for the head commit, as if the pull request had just been synchronized |\n" +
		"| `/build RULE` | the same, for the one rule named |\n" +
		"| `/cancel` | cancels the pull request's queued and running builds |\n" +
		"| `/ok-to-test` | approves a pull request from a fork by an author outside the organisation, and runs its pull request rules for the head commit |\n" +
		"| `/switchboard help` | this message |\n\n" +
		"They may be run by " + whoMay(cfg) + "."
}
