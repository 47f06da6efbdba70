package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// watchConfig says what to sample while the target run goes on: the
// resident memory of a process and the total size of some files (a SQLite
// database and its WAL), so that a soak shows whether they stay flat.
type watchConfig struct {
	PID   int      // 0: no process
	Files []string // missing files count as 0 bytes
	Every time.Duration
}

func (w watchConfig) enabled() bool { return w.PID > 0 || len(w.Files) > 0 }

// sample is one reading.
type sample struct {
	At        float64 `json:"at_s"` // seconds since the run started
	RSSBytes  int64   `json:"rss_bytes,omitempty"`
	FileBytes int64   `json:"file_bytes,omitempty"`
}

// span is the first, largest and last of a series of readings.
type span struct {
	Start int64 `json:"start"`
	Peak  int64 `json:"peak"`
	End   int64 `json:"end"`
}

func (s *span) add(first bool, v int64) {
	if first {
		s.Start = v
	}
	s.Peak = max(s.Peak, v)
	s.End = v
}

// watchReport is what a watch saw.
type watchReport struct {
	Every   float64  `json:"every_s"`
	Samples []sample `json:"samples"`
	RSS     *span    `json:"rss_bytes,omitempty"`
	Files   *span    `json:"file_bytes,omitempty"`
}

// watch samples w every w.Every until ctx ends, then once more, writing each
// reading to progress as it is taken (a soak runs for minutes), and returns
// what it saw. A process that cannot be read is an error: the numbers would
// be meaningless.
func watch(ctx context.Context, w watchConfig, start time.Time, progress io.Writer) (watchReport, error) {
	rep := watchReport{Every: w.Every.Seconds()}
	if w.PID > 0 {
		rep.RSS = &span{}
	}
	if len(w.Files) > 0 {
		rep.Files = &span{}
	}
	take := func() error {
		s := sample{At: time.Since(start).Seconds()}
		first := len(rep.Samples) == 0
		if w.PID > 0 {
			rss, err := readRSS(w.PID)
			if err != nil {
				return err
			}
			s.RSSBytes = rss
			rep.RSS.add(first, rss)
		}
		if len(w.Files) > 0 {
			n, err := filesSize(w.Files)
			if err != nil {
				return err
			}
			s.FileBytes = n
			rep.Files.add(first, n)
		}
		rep.Samples = append(rep.Samples, s)
		fmt.Fprintf(progress, "watch %7.1fs  rss %8.1f MiB  files %8.1f MiB\n", s.At, mib(s.RSSBytes), mib(s.FileBytes))
		return nil
	}
	if err := take(); err != nil {
		return rep, err
	}
	t := time.NewTicker(w.Every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := take(); err != nil {
				return rep, err
			}
		case <-ctx.Done():
			return rep, take()
		}
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// readRSS reads VmRSS of process pid from /proc (Linux).
func readRSS(pid int) (int64, error) {
	n, err := readStatusKB(pid, "VmRSS")
	if err != nil {
		return 0, fmt.Errorf("watch %w", err)
	}
	return n, nil
}

// filesSize is the total size of the files that exist among paths.
func filesSize(paths []string) (int64, error) {
	var n int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		n += fi.Size()
	}
	return n, nil
}
