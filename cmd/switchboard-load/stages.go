package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"
)

// stagesQuery gives, per delivery, the times of the path that the store
// and River's job table record: the delivery's receipt, its
// process_delivery job's insert, start and end, and its first run_action
// job's insert, start and end (NULL where a job is missing). Timestamps are
// in milliseconds since the Unix epoch; both tables keep them to the
// millisecond or better. It reads Switchboard's schema as it is, for the
// benchmark only.
const stagesQuery = `
WITH pd AS (
  SELECT json_extract(args, '$.delivery') AS d, min(created_at) AS c, min(attempted_at) AS a, min(finalized_at) AS f
  FROM river_job WHERE kind = 'process_delivery' GROUP BY 1),
ra AS (
  SELECT json_extract(args, '$.delivery') AS d, min(created_at) AS c, min(attempted_at) AS a, min(finalized_at) AS f
  FROM river_job WHERE kind = 'run_action' GROUP BY 1)
SELECT dl.id,
  (julianday(dl.received_at) - 2440587.5) * 86400000.0,
  unixepoch(pd.c, 'subsec') * 1000.0, unixepoch(pd.a, 'subsec') * 1000.0, unixepoch(pd.f, 'subsec') * 1000.0,
  unixepoch(ra.c, 'subsec') * 1000.0, unixepoch(ra.a, 'subsec') * 1000.0, unixepoch(ra.f, 'subsec') * 1000.0
FROM deliveries dl LEFT JOIN pd ON pd.d = dl.id LEFT JOIN ra ON ra.d = dl.id`

// stageNames are the stages reported, in path order.
var stageNames = []string{
	"received -> process_delivery queued (store commit)",
	"process_delivery queued -> started (queue wait)",
	"process_delivery started -> run_action queued (processing)",
	"run_action queued -> started (queue wait)",
	"run_action started -> finished (the action, its outcome)",
}

// stage is one stage's latencies over the deliveries that have it.
type stage struct {
	Name    string    `json:"name"`
	Count   int       `json:"count"`
	Latency latencies `json:"latency"`
}

// readStages computes the stages for the deliveries in ids from a SQLite
// store file.
func readStages(ctx context.Context, path string, ids []string) ([]stage, error) {
	db, err := openBacklogDB(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, stagesQuery)
	if err != nil {
		return nil, fmt.Errorf("stages: %w", err)
	}
	defer rows.Close()
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	durations := make([][]time.Duration, len(stageNames))
	for rows.Next() {
		var id string
		var t [7]sql.NullFloat64
		if err := rows.Scan(&id, &t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6]); err != nil {
			return nil, fmt.Errorf("stages: %w", err)
		}
		if !want[id] {
			continue
		}
		// received, pd queued, pd started, (pd finished), ra queued, ra started, ra finished
		for i, pair := range [][2]int{{0, 1}, {1, 2}, {2, 4}, {4, 5}, {5, 6}} {
			from, to := t[pair[0]], t[pair[1]]
			if from.Valid && to.Valid {
				durations[i] = append(durations[i], time.Duration((to.Float64-from.Float64)*float64(time.Millisecond)))
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stages: %w", err)
	}
	out := make([]stage, 0, len(stageNames))
	for i, name := range stageNames {
		if len(durations[i]) > 0 {
			out = append(out, stage{Name: name, Count: len(durations[i]), Latency: percentiles(durations[i])})
		}
	}
	return out, nil
}

// printStages writes the stages for people.
func printStages(w io.Writer, stages []stage) {
	if len(stages) == 0 {
		return
	}
	fmt.Fprintln(w, "stages from the store's timestamps (ms; River keeps milliseconds):")
	for _, s := range stages {
		fmt.Fprintf(w, "  %-60s p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f  (%d)\n", s.Name, s.Latency.P50, s.Latency.P90, s.Latency.P99, s.Latency.Max, s.Count)
	}
}
