package server

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/pipeline"
)

// reloader swaps in a new configuration on a signal or a change of the file,
// and keeps the old one when the new one does not validate.
type reloader struct {
	path      string
	lookupEnv func(string) (string, bool)
	live      *pipeline.Live
	build     func(*config.Config) (*pipeline.Snapshot, error)
	log       *logrus.Entry
	// reloaded, when set, hears the result of every reload (tests).
	reloaded func(error)
}

// run reloads on every value from signals and, with watch, on every write
// to the file, until ctx is done. File events are debounced: editors write
// in bursts.
func (r *reloader) run(ctx context.Context, signals <-chan struct{}, watch bool) {
	var events <-chan fsnotify.Event
	if watch {
		w, err := r.watch()
		if err != nil {
			r.log.WithError(err).Warn("config file watch unavailable; reload with SIGHUP")
		} else {
			defer w.Close()
			events = w.Events
		}
	}
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			r.reload("signal")
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if filepath.Clean(ev.Name) == filepath.Clean(r.path) && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
				debounce = time.After(200 * time.Millisecond)
			}
		case <-debounce:
			debounce = nil
			r.reload("file change")
		}
	}
}

// watch watches the config file's directory: editors and Kubernetes
// ConfigMaps replace the file rather than write into it.
func (r *reloader) watch() (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(filepath.Dir(r.path)); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

func (r *reloader) reload(why string) {
	log := r.log.WithField("trigger", why)
	err := r.try()
	if err != nil {
		// One line per problem, positioned, so an operator can fix them all.
		log.WithField("problems", splitLines(err.Error())).Error("config reload rejected; keeping the running config")
	} else {
		log.Info("config reloaded")
	}
	if r.reloaded != nil {
		r.reloaded(err)
	}
}

func (r *reloader) try() error {
	cfg, err := config.Load(r.path, r.lookupEnv)
	if err != nil {
		return err
	}
	snap, err := r.build(cfg)
	if err != nil {
		return err
	}
	old := r.live.Load().Config
	for _, k := range restartOnly(old, cfg) {
		r.log.WithField("key", k).Warn("changed setting takes effect after a restart")
	}
	r.live.Swap(snap)
	return nil
}

// restartOnly lists settings that differ between a and b but are read only
// at start.
func restartOnly(a, b *config.Config) []string {
	var out []string
	if !sameServer(a.Server, b.Server) {
		out = append(out, "server")
	}
	if a.Store != b.Store {
		out = append(out, "store")
	}
	if a.GitHub.AppID != b.GitHub.AppID || a.GitHub.PrivateKeyFile != b.GitHub.PrivateKeyFile ||
		a.GitHub.PrivateKey != b.GitHub.PrivateKey || a.GitHub.APIURL != b.GitHub.APIURL {
		out = append(out, "github")
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
