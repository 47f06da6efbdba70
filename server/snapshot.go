// Package server wires Switchboard together: configuration, store, intake,
// workers and reloads. It holds no logic of its own beyond the wiring.
package server

import (
	"fmt"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/pipeline"
	"github.com/switchboard-dev/switchboard/rules"
)

// Build compiles cfg into a Snapshot: the rules engine and the action set.
// Any error is a config.Errors naming positions in cfg.File.
func Build(cfg *config.Config, deps actions.Deps) (*pipeline.Snapshot, error) {
	engine, err := rules.Validate(cfg)
	if err != nil {
		return nil, err
	}
	set, err := actions.New(cfg, deps)
	if err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	return &pipeline.Snapshot{Config: cfg, Rules: engine, Actions: set}, nil
}
