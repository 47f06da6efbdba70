package actions

import (
	"context"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/logfield"
)

// Log writes the rendered message as one log line.
type Log struct {
	logger *logrus.Entry
}

// Run writes job.Log.Message at info level with the rule, kind and delivery.
func (l *Log) Run(_ context.Context, job *Job) (Result, error) {
	if job.Log == nil {
		return Result{}, errMissingFields("log")
	}
	l.logger.WithFields(logrus.Fields{
		logfield.Rule:     job.Rule,
		logfield.Kind:     job.Kind,
		logfield.Delivery: job.Delivery,
		logfield.Event:    job.Event,
	}).Info(job.Log.Message)
	return Result{Message: "logged"}, nil
}
