package store

import (
	"context"
	"database/sql"
)

// resumeRunning makes every job left "running" in a SQLite store available
// again at once, and returns how many it changed. It is called at start by
// the process holding the store's lock (lockSQLite), before River starts,
// so those jobs belong to a process that is gone: their rerun need not wait
// for River's rescue window (store.rescue_after). On Postgres the window
// stays, because another replica may still be running the job.
//
// The update mirrors River's own rescuer (riversqlite's JobRescue): the
// rescue is appended to the job's errors, and a job that has used all its
// attempts is discarded rather than run again. The rerun is an ordinary
// attempt, so an action that may have reached its service checks before
// acting again, exactly as after a rescue.
func resumeRunning(ctx context.Context, db *sql.DB) (int64, error) {
	res, err := db.ExecContext(ctx, `
UPDATE river_job SET
    errors = jsonb(json_insert(
        CASE WHEN errors IS NULL OR NOT json_valid(json(errors)) OR json_type(json(errors)) <> 'array'
             THEN '[]' ELSE json(errors) END,
        '$[#]', json_object(
            'at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
            'attempt', attempt,
            'error', 'interrupted: the process running this job stopped; resumed at the next start',
            'trace', ''))),
    state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'available' END,
    finalized_at = CASE WHEN attempt >= max_attempts THEN datetime('now', 'subsec') ELSE NULL END,
    scheduled_at = datetime('now', 'subsec')
WHERE state = 'running'`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
