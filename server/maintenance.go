package server

import (
	"github.com/riverqueue/river"
	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
	"github.com/switchboard-dev/switchboard/maintenance"
	"github.com/switchboard-dev/switchboard/store"
)

// maintenanceJobs are the periodic catch-up and retention jobs. Their
// workers are added before the store opens, since River needs them to open
// it; bind hands them the store once it is open, before it starts.
type maintenanceJobs struct {
	periodic []*river.PeriodicJob
	st       *maintenanceStore
}

// maintenanceStore forwards to the store once it is open.
type maintenanceStore struct{ *store.Store }

func (m *maintenanceJobs) bind(st *store.Store) { m.st.Store = st }

// newMaintenance adds the maintenance workers to workers and returns the
// periodic jobs: the catch-up every github.catch_up_interval when there are
// App credentials (gh) and the interval is above 0, the retention always.
// River runs both on the elected leader only.
func newMaintenance(cfg *config.Config, gh *githubapp.Creator, workers *river.Workers, o Options, log *logrus.Entry) (*maintenanceJobs, error) {
	metrics, err := maintenance.NewMetrics(o.Registry)
	if err != nil {
		return nil, err
	}
	m := &maintenanceJobs{st: &maintenanceStore{}}
	var catchUp *maintenance.CatchUp
	every := cfg.GitHub.CatchUpInterval.Std()
	if gh != nil && every > 0 {
		catchUp, err = maintenance.NewCatchUp(maintenance.CatchUpOptions{
			Log: gh, Store: m.st, Logger: log, Metrics: metrics, Now: o.Now,
		})
		if err != nil {
			return nil, err
		}
	}
	keep := cfg.Store.Retention.Std()
	if keep < maintenance.GitHubWindow {
		// A delivery deleted while GitHub can still redeliver it would be
		// taken for a new one and acted on again.
		log.WithField("retention", keep.String()).Warn("store.retention is shorter than GitHub's 3-day redelivery window: a redelivered event older than it runs again")
	}
	retention, err := maintenance.NewRetention(maintenance.RetentionOptions{
		Store: m.st, Retention: keep, Logger: log, Metrics: metrics, Now: o.Now,
	})
	if err != nil {
		return nil, err
	}
	m.periodic = maintenance.Register(workers, maintenance.Schedule{
		CatchUp: catchUp, CatchUpEvery: every, Retention: retention, RetentionEvery: maintenance.RetentionEvery(keep),
	})
	return m, nil
}
