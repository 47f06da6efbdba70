package githubapp

import (
	"context"
	"fmt"
	"sync"
)

// Bot finds the login of the App's own bot account, "<slug>[bot]", from
// GET /app (App JWT), once: deliveries it caused are told apart by it.
// https://docs.github.com/rest/apps/apps#get-the-authenticated-app
type Bot struct {
	c     *Creator
	mu    sync.Mutex
	login string
}

// NewBot returns a Bot of c's App.
func NewBot(c *Creator) *Bot { return &Bot{c: c} }

// Login returns the bot account's login. A failed look-up is not kept:
// the next call asks again.
func (b *Bot) Login(ctx context.Context) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.login != "" {
		return b.login, nil
	}
	app, _, err := b.c.app.Apps.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("githubapp: read the App: %w", err)
	}
	if app.GetSlug() == "" {
		return "", fmt.Errorf("githubapp: GitHub named no slug for the App")
	}
	b.login = app.GetSlug() + "[bot]"
	return b.login, nil
}
