package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrStoreInUse is returned by Open when another process already runs the
// jobs of the same SQLite file.
var ErrStoreInUse = errors.New("store: the SQLite file is in use by another switchboard serve")

// fileLock is an exclusive flock(2) on a sidecar file beside the SQLite
// database, held by the one process that runs the store's jobs.
//
// Holding it is what lets that process requeue, at start, jobs left
// "running" by a crash at once (resumeRunning), instead of waiting for
// River's rescue window: no other process can be running them. The lock is
// a sidecar file, not the database itself, because SQLite's own POSIX locks
// are dropped when any descriptor of the database file is closed.
type fileLock struct{ f *os.File }

// lockPath is the sidecar lock file of the database at path.
func lockPath(path string) string { return path + ".lock" }

// lockSQLite takes the lock of the database at path without waiting. When
// another process holds it, the error wraps ErrStoreInUse and names that
// process's PID as it wrote it. The kernel drops the lock when the process
// dies, however it dies, so a SIGKILL never leaves a stale lock.
func lockSQLite(path string) (*fileLock, error) {
	name := lockPath(path)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock file %s: %w", filepath.Base(name), errors.Unwrap(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readHolder(f)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s held by pid %s); only one process may serve a SQLite store: stop the other one, or use Postgres for several replicas",
				ErrStoreInUse, name, holder)
		}
		return nil, fmt.Errorf("store: locking %s: %w", name, err)
	}
	// Record who holds it, for the message a second process prints.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &fileLock{f: f}, nil
}

// readHolder returns the PID written in the lock file, or "unknown".
func readHolder(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid := strings.TrimSpace(string(b[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		return "unknown"
	}
	return pid
}

// release drops the lock; a second call does nothing. The file stays:
// removing it would race with a process that has just opened it to lock
// it.
func (l *fileLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	return f.Close() // closing the descriptor drops the flock
}
