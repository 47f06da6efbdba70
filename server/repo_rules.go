package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/pipeline"
	"github.com/switchboard-dev/switchboard/reporules"
)

// repoRules wires the rules repositories write themselves: they are read
// with the App's installation tokens, so without credentials there are
// none. The source is made even while repo_rules is off, so that a reload
// turning it on takes effect; it reads nothing until then.
func repoRules(p *pipeline.Processor, gh *githubapp.Creator, reg prometheus.Registerer, log *logrus.Entry) *pipeline.Processor {
	if gh == nil {
		return p
	}
	src := reporules.NewSource(gh, log.WithField(logfield.Component, "reporules"),
		reporules.Options{Reporter: reporules.NewCheckReporter(gh), Registerer: reg})
	return p.WithRepoRules(src)
}
