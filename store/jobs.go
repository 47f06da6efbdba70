package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/riverqueue/river"
)

// ProcessDeliveryArgs is the job Enqueue queues for every new delivery: its
// worker loads the delivery, matches the rules and queues the actions.
type ProcessDeliveryArgs struct {
	Delivery string `json:"delivery"`
	Event    string `json:"event"`
	// Size is the payload's length in bytes, so that the worker can wait
	// for room in its memory budget before loading it; 0 in jobs queued
	// before it was recorded.
	Size int64 `json:"size,omitempty"`
}

// Kind is the River job kind, "process_delivery".
func (ProcessDeliveryArgs) Kind() string { return "process_delivery" }

// InsertJobs inserts the jobs in one transaction and returns how many were
// inserted. River's unique options are honoured: a job that duplicates a
// stored unique job is skipped, not an error, so a delivery processed twice
// queues its actions once. Failures wrap ErrUnavailable.
func (s *Store) InsertJobs(ctx context.Context, jobs []river.InsertManyParams) (inserted int, err error) {
	if len(jobs) == 0 {
		return 0, nil
	}
	chunks, err := splitRepeats(jobs)
	if err != nil {
		return 0, err
	}
	err = s.q.inTx(ctx, false, func(ctx context.Context, _ querier, tx txJobs) error {
		inserted = 0
		for _, c := range chunks {
			res, err := tx.insert(ctx, c)
			if err != nil {
				return err
			}
			for _, r := range res {
				if !r.UniqueSkippedAsDuplicate {
					inserted++
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, unavailable("insert jobs", err)
	}
	return inserted, nil
}

// cutRepeats is splitRepeats for jobs whose keys (kind, NUL, arguments
// as JSON) are already known.
func cutRepeats(jobs []river.InsertManyParams, keys []string) [][]river.InsertManyParams {
	var (
		chunks [][]river.InsertManyParams
		start  int
		seen   = map[string]bool{}
	)
	for i, k := range keys {
		if seen[k] {
			chunks = append(chunks, jobs[start:i])
			start, seen = i, map[string]bool{}
		}
		seen[k] = true
	}
	return append(chunks, jobs[start:])
}

// splitRepeats cuts jobs into runs in which no kind and arguments repeat.
// Both River drivers reject one insert statement that hits the same unique
// key twice; across statements of one transaction the second is skipped as
// a duplicate, as it should be.
func splitRepeats(jobs []river.InsertManyParams) ([][]river.InsertManyParams, error) {
	keys := make([]string, len(jobs))
	for i, j := range jobs {
		if j.Args == nil {
			return nil, fmt.Errorf("store: job without args")
		}
		enc, err := json.Marshal(j.Args)
		if err != nil {
			return nil, fmt.Errorf("store: encode %s job args: %w", j.Args.Kind(), err)
		}
		keys[i] = j.Args.Kind() + "\x00" + string(enc)
	}
	return cutRepeats(jobs, keys), nil
}
