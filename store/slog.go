package store

import (
	"context"
	"log/slog"
	"strings"

	"github.com/sirupsen/logrus"
)

// newSlogLogger bridges River's slog output to logrus. Only warnings and
// errors pass: River's info lines (migrations applied, leader elected, ...)
// would drown the per-delivery log.
func newSlogLogger(entry *logrus.Entry) *slog.Logger {
	return slog.New(&slogBridge{entry: entry})
}

type slogBridge struct {
	entry  *logrus.Entry
	prefix string // open groups, as "a.b."
}

func (h *slogBridge) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *slogBridge) Handle(_ context.Context, r slog.Record) error {
	fields := make(logrus.Fields, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		addAttr(fields, h.prefix, a)
		return true
	})
	e := h.entry.WithFields(fields)
	if r.Level >= slog.LevelError {
		e.Error(r.Message)
	} else {
		e.Warn(r.Message)
	}
	return nil
}

func (h *slogBridge) WithAttrs(attrs []slog.Attr) slog.Handler {
	fields := make(logrus.Fields, len(attrs))
	for _, a := range attrs {
		addAttr(fields, h.prefix, a)
	}
	return &slogBridge{entry: h.entry.WithFields(fields), prefix: h.prefix}
}

func (h *slogBridge) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &slogBridge{entry: h.entry, prefix: h.prefix + name + "."}
}

func addAttr(fields logrus.Fields, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p = prefix + a.Key + "."
		}
		for _, g := range a.Value.Group() {
			addAttr(fields, p, g)
		}
		return
	}
	fields[strings.TrimSuffix(prefix+a.Key, ".")] = a.Value.Any()
}
