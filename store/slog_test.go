package store

import (
	"log/slog"
	"testing"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

func TestSlogBridgePassesWarningsOnly(t *testing.T) {
	l, hook := test.NewNullLogger()
	l.SetLevel(logrus.DebugLevel)
	log := newSlogLogger(logrus.NewEntry(l)).With("client", "c1").WithGroup("job")

	log.Info("elected leader")
	log.Warn("job appears to be stuck", "id", 7)
	log.Error("error completing job", slog.Group("err", "msg", "boom"))

	entries := hook.AllEntries()
	if len(entries) != 2 {
		t.Fatalf("%d log lines, want 2 (info dropped)", len(entries))
	}
	tests := []struct {
		name   string
		level  logrus.Level
		msg    string
		fields logrus.Fields
	}{
		{name: "warn", level: logrus.WarnLevel, msg: "job appears to be stuck", fields: logrus.Fields{"client": "c1", "job.id": int64(7)}},
		{name: "error", level: logrus.ErrorLevel, msg: "error completing job", fields: logrus.Fields{"client": "c1", "job.err.msg": "boom"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entries[i]
			if e.Level != tt.level || e.Message != tt.msg {
				t.Errorf("entry = %s %q", e.Level, e.Message)
			}
			for k, v := range tt.fields {
				if e.Data[k] != v {
					t.Errorf("field %s = %#v, want %#v", k, e.Data[k], v)
				}
			}
		})
	}
}
