package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/actions"
	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/handlers"
	"github.com/switchboard-dev/switchboard/logfield"
	"github.com/switchboard-dev/switchboard/pipeline"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/store"
)

// Options configure Run.
type Options struct {
	ConfigPath string
	LookupEnv  func(string) (string, bool)
	Logger     *logrus.Entry
	// Registry receives every metric; a fresh one is made when nil.
	Registry *prometheus.Registry
	// HTTPClient is used for every outgoing call; a default when nil.
	HTTPClient *http.Client
	// Reload delivers a value for each SIGHUP.
	Reload <-chan struct{}
	// NoWatch turns off reloading when the config file changes; Reload
	// still reloads.
	NoWatch bool
	// OnListen, when set, hears the bound address (tests listen on :0).
	OnListen func(net.Addr)
	// OnReload, when set, hears the result of every reload (tests).
	OnReload func(error)
	Now      func() time.Time

	// MemoryLimit sets the runtime's soft memory limit from
	// server.max_inflight_body_bytes (see setMemoryLimit) while Run runs.
	// It is process-wide, so only the binary sets it, not tests that run
	// servers side by side.
	MemoryLimit bool
}

// Run loads the configuration and serves until ctx is done, then shuts down
// gracefully: stop accepting, finish requests, give running actions a
// bounded time; queued work runs after the next start.
func Run(ctx context.Context, o Options) error {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger

	cfg, err := config.Load(o.ConfigPath, o.LookupEnv)
	if err != nil {
		return err
	}

	if o.MemoryLimit {
		defer setMemoryLimit(cfg, o.LookupEnv, log)()
	}

	gh, err := newGitHub(cfg, o, log)
	if err != nil {
		return err
	}

	var live *pipeline.Live
	var st *store.Store
	deps := actions.Deps{
		Logger:     log.WithField(logfield.Component, "actions"),
		HTTPClient: o.HTTPClient,
		Payloads:   payloads{get: func() *store.Store { return st }},
		Secrets:    secrets{live: func() *pipeline.Live { return live }},
		Now:        o.Now,
		GitHub:     gh,
	}
	build := func(c *config.Config) (*pipeline.Snapshot, error) { return Build(c, deps) }
	snap, err := build(cfg)
	if err != nil {
		return err
	}
	live = pipeline.NewLive(snap)
	for kind, why := range snap.Actions.Unavailable() {
		log.WithField(logfield.Kind, kind).Warnf("action unavailable: %s", why)
	}

	metrics := pipeline.NewMetrics(o.Registry)
	workers := river.NewWorkers()
	var files rules.FileLister
	if gh != nil {
		files = gh
	}
	// The workers reach the store through this indirection because the
	// store needs the workers before it exists.
	q := &lazyQueue{}
	// One budget bounds the bodies intake reads and the payloads the
	// processor decodes.
	bodies := handlers.NewBodyBudget(cfg.Server.MaxInflightBodyBytes)
	tk := talk(gh, func() *store.Store { return st }, files, log)
	processor := repoRules(pipeline.NewProcessor(q, live, files, log.WithField(logfield.Component, "processor"), metrics, o.Now).WithBudget(bodies).WithTalk(tk), gh, o.Registry, log)
	river.AddWorker(workers, processor)
	follow := pipeline.NewFollow(q, live, log.WithField(logfield.Component, "follow"), o.Now).WithHeads(tk.Heads)
	runner := pipeline.NewRunner(q, live, log.WithField(logfield.Component, "runner"), metrics, o.Now).WithFollowups(follow).WithHeads(tk.Heads)
	river.AddWorker(workers, runner)
	river.AddWorker(workers, follow)
	maint, err := newMaintenance(cfg, gh, workers, o, log)
	if err != nil {
		return err
	}

	st, err = store.Open(ctx, store.Options{
		Driver:      cfg.Store.Driver,
		DSN:         string(cfg.Store.DSN),
		Logger:      log.WithField(logfield.Component, "store"),
		Workers:     workers,
		MaxWorkers:  cfg.Store.Workers,
		RescueAfter: cfg.Store.RescueAfter.Std(),
		Registerer:  o.Registry,
		// River's job cleaner keeps finished jobs as long as deliveries.
		JobRetention: cfg.Store.Retention.Std(),
		PeriodicJobs: maint.periodic,
	})
	if err != nil {
		return err // the store's errors name it ("store: ...")
	}
	defer st.Close()
	q.Queue = st
	maint.bind(st)

	// The first attempt of an action decided at intake runs at once, in
	// this process (pipeline.Inline), as many at a time as River's workers.
	inline := pipeline.NewInline(runner, st, st.MaxWorkers(), st.JobTimeout(),
		pipeline.MaxWait(st.RescueAfter(), st.JobTimeout()), log.WithField(logfield.Component, "runner"))

	router, err := handlers.NewRouter(handlers.Options{
		WebhookPath:     cfg.Server.WebhookPath,
		MaxPayloadBytes: cfg.Server.MaxPayloadBytes,
		Bodies:          bodies,
		Secrets:         func() []string { return webhookSecrets(live.Load().Config) },
		Sources:         sourceLookup(live),
		Logger:          log.WithField(logfield.Component, "intake"),
		Registry:        o.Registry,
		Now:             o.Now,
	}, pipeline.NewIntake(st, processor).WithInline(inline))
	if err != nil {
		return err
	}
	if err := mountAdmin(router, cfg, st, log, o.Now); err != nil {
		return err
	}

	tlsConfig, err := newTLS(cfg.Server.TLS, log.WithField(logfield.Component, "tls"))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Addr, err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	srv := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    handlers.MaxHeaderBytes,
	}

	if err := st.Start(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("start queue: %w", err)
	}

	rl := &reloader{path: o.ConfigPath, lookupEnv: o.LookupEnv, live: live, build: build,
		log: log.WithField(logfield.Component, "config"), reloaded: o.OnReload}
	rctx, stopReload := context.WithCancel(ctx)
	defer stopReload()
	go rl.run(rctx, o.Reload, !o.NoWatch)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.WithFields(logrus.Fields{"addr": ln.Addr().String(), "store": cfg.Store.Driver, "rules": len(cfg.Rules)}).Info("switchboard serving")
	if o.OnListen != nil {
		o.OnListen(ln.Addr())
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-serveErr:
	}

	timeout := cfg.Server.ShutdownTimeout.Std()
	log.WithField("timeout", timeout.String()).Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.WithError(err).Warn("HTTP shutdown incomplete")
	}
	if err := inline.Stop(sctx); err != nil {
		log.WithError(err).Warn("actions still running at the deadline were cancelled; River runs them again (their attempts are recorded)")
	}
	if err := st.Stop(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.WithError(err).Warn("queue shutdown incomplete")
	}
	if errors.Is(runErr, http.ErrServerClosed) {
		runErr = nil
	}
	log.Info("stopped")
	return runErr
}

func newGitHub(cfg *config.Config, o Options, log *logrus.Entry) (*githubapp.Creator, error) {
	key := []byte(cfg.GitHub.PrivateKey)
	if len(key) == 0 && cfg.GitHub.PrivateKeyFile != "" {
		b, err := os.ReadFile(cfg.GitHub.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("github.private_key_file: %w", err)
		}
		key = b
	}
	if cfg.GitHub.AppID == 0 || len(key) == 0 {
		log.Warn("no GitHub App credentials (github.app_id and a private key): GitHub actions and pull request paths are unavailable")
		return nil, nil
	}
	return githubapp.New(githubapp.Options{
		AppID:      cfg.GitHub.AppID,
		PrivateKey: key,
		BaseURL:    cfg.GitHub.APIURL,
		HTTPClient: o.HTTPClient,
		Logger:     log.WithField(logfield.Component, "github"),
		Registerer: o.Registry,
	})
}

func webhookSecrets(cfg *config.Config) []string {
	out := make([]string, len(cfg.GitHub.WebhookSecret))
	for i, s := range cfg.GitHub.WebhookSecret {
		out[i] = string(s)
	}
	return out
}

// payloads gives the http action the raw payload of a delivery.
type payloads struct{ get func() *store.Store }

func (p payloads) Payload(ctx context.Context, delivery string) ([]byte, error) {
	d, err := p.get().Delivery(ctx, delivery)
	if err != nil {
		return nil, err
	}
	return d.Payload, nil
}

// secrets gives the http action its signing secret from the current config:
// secrets are never part of a queued job.
type secrets struct{ live func() *pipeline.Live }

func (s secrets) HTTPSecret(rule string, index int) (string, bool) {
	for _, r := range s.live().Load().Config.Rules {
		if r.Name == rule && index < len(r.Do) && r.Do[index].HTTP != nil && r.Do[index].HTTP.Secret != "" {
			return string(r.Do[index].HTTP.Secret), true
		}
	}
	return "", false
}

// lazyQueue forwards to the store once it is open.
type lazyQueue struct{ pipeline.Queue }

// UnavailableKinds returns the action kinds snap cannot run, sorted.
func UnavailableKinds(snap *pipeline.Snapshot) []string {
	var out []string
	for k := range snap.Actions.Unavailable() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
