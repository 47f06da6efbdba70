package server

import (
	"context"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/pipeline"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// talk wires comment commands, re-runs from the Checks tab, superseding
// and loop safety. The store is reached through get because it is opened
// after the workers are made. Without GitHub App credentials only
// superseding works: commands need the API.
func talk(gh *githubapp.Creator, get func() *store.Store, files rules.FileLister, log *logrus.Entry) pipeline.Talk {
	t := pipeline.Talk{Heads: lazyHeads{get}}
	if gh != nil {
		t.Self = githubapp.NewBot(gh)
		h := commands.New(gh, lazyOutcomes{get}, files, log.WithField(logfield.Component, "commands"))
		t.Conversation, t.Gate = h, h
	}
	return t
}

type lazyHeads struct{ get func() *store.Store }

func (l lazyHeads) ClaimHead(ctx context.Context, rule, key string, h store.Head) (store.Head, error) {
	return l.get().ClaimHead(ctx, rule, key, h)
}

func (l lazyHeads) CurrentHead(ctx context.Context, rule, key string) (*store.Head, error) {
	return l.get().CurrentHead(ctx, rule, key)
}

type lazyOutcomes struct{ get func() *store.Store }

func (l lazyOutcomes) Outcome(ctx context.Context, delivery, rule string, idx int) (*store.Outcome, error) {
	return l.get().Outcome(ctx, delivery, rule, idx)
}
