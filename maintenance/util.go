package maintenance

import (
	"cmp"
	"io"
	"slices"

	"github.com/sirupsen/logrus"
)

// discardLogger is the default logger: it writes nowhere.
func discardLogger() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

// sortOldestFirst orders events by their first attempt.
func sortOldestFirst(events []*event) {
	slices.SortStableFunc(events, func(a, b *event) int {
		if c := a.oldestAt.Compare(b.oldestAt); c != 0 {
			return c
		}
		return cmp.Compare(a.guid, b.guid)
	})
}
