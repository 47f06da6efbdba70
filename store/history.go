package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Processing results a delivery records (Processing.Status).
const (
	ProcessedOK    = "processed"
	ProcessedError = "error" // unparsable payload, or a rule's expr or template failed
)

// AttemptInterrupted is the outcome of an attempt whose process died
// before it could say how it ended; other attempts end as an Outcome*
// state (succeeded, retrying, failed).
const AttemptInterrupted = "interrupted"

// ConditionRecord is one condition of a rule's explanation.
type ConditionRecord struct {
	Condition string `json:"condition"`
	OK        bool   `json:"ok"`
	Detail    string `json:"detail"`
}

// RuleRecord is why one rule did or did not match a delivery.
type RuleRecord struct {
	Name       string            `json:"name"`
	Matched    bool              `json:"matched"`
	Conditions []ConditionRecord `json:"conditions"`
}

// QueuedAction is one action processing queued: its record and its job.
type QueuedAction struct {
	Rule   string
	Index  int
	Kind   string
	Params json.RawMessage   // the rendered fields, secrets already replaced
	Links  map[string]string // links known when queued, such as the commit
	Job    river.InsertManyParams
}

// Processing is what processing one delivery decided.
type Processing struct {
	Delivery             string
	Action, Repo, Sender string
	Status               string // ProcessedOK or ProcessedError
	Error                string // why ProcessedError
	Rules                []RuleRecord
	Actions              []QueuedAction
	At                   time.Time // zero: now
}

// Attempt is one attempt of an action.
type Attempt struct {
	N         int
	StartedAt time.Time
	Duration  time.Duration
	Outcome   string // OutcomeSucceeded, OutcomeRetrying, OutcomeFailed or AttemptInterrupted
	Error     string
}

// ActionID is the id of the action at index of rule's do: list for a
// delivery: 20 hex digits of a SHA-256 of the three, so every writer
// computes the same id without asking the database.
func ActionID(delivery, rule string, index int) string {
	h := sha256.Sum256([]byte(delivery + "\x00" + rule + "\x00" + strconv.Itoa(index)))
	return hex.EncodeToString(h[:10])
}

// RecordProcessing records what processing decided for p.Delivery (its
// action, repository and sender, its status, the rules' explanations) and
// queues the actions' jobs with a pending outcome each, all in one
// transaction. It returns how many jobs were new: processing the same
// delivery again (a retry, a rescue) queues nothing twice and leaves the
// outcomes of actions already under way as they are. ErrNotFound if the
// delivery is not stored.
func (s *Store) RecordProcessing(ctx context.Context, p Processing) (inserted int, err error) {
	w, err := prepareProcessing(p)
	if err != nil {
		return 0, err
	}
	err = s.q.inTx(ctx, false, func(ctx context.Context, tx querier, tj txJobs) error {
		var one int
		err := tx.queryRow(ctx, `SELECT 1 FROM deliveries WHERE id = $1`, p.Delivery).Scan(&one)
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		inserted, err = s.writeProcessing(ctx, tx, tj, w)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return 0, err
	}
	if err != nil {
		return 0, unavailable("record processing", err)
	}
	return inserted, nil
}

// processingWrite is a Processing made ready to write: the encoding done
// outside the transaction, so that a batch's transaction holds the
// connection only for its statements.
type processingWrite struct {
	p         Processing
	rulesJSON []byte
	matched   int
	args      []string     // each action's job arguments as JSON
	links     []string     // each action's links as stored
	claimed   []ClaimedJob // set by writeActions for a claimed write: the jobs to claim
}

func prepareProcessing(p Processing) (*processingWrite, error) {
	if p.At.IsZero() {
		p.At = time.Now()
	}
	rulesJSON, err := json.Marshal(p.Rules)
	if err != nil {
		return nil, fmt.Errorf("store: encode explanations: %w", err)
	}
	w := &processingWrite{p: p, rulesJSON: rulesJSON}
	for _, r := range p.Rules {
		if r.Matched {
			w.matched++
		}
	}
	for _, a := range p.Actions {
		if a.Job.Args == nil {
			return nil, fmt.Errorf("store: job without args")
		}
		enc, err := json.Marshal(a.Job.Args)
		if err != nil {
			return nil, fmt.Errorf("store: encode %s job args: %w", a.Job.Args.Kind(), err)
		}
		links, err := encodeLinks(a.Links)
		if err != nil {
			return nil, fmt.Errorf("store: encode links: %w", err)
		}
		w.args, w.links = append(w.args, string(enc)), append(w.links, links)
	}
	return w, nil
}

// writeProcessing writes w's result row, its actions' jobs and their
// pending outcomes in tx, and returns how many jobs were new.
func (s *Store) writeProcessing(ctx context.Context, tx querier, tj txJobs, w *processingWrite) (inserted int, err error) {
	if err := s.writeResults(ctx, tx, []*processingWrite{w}); err != nil {
		return 0, err
	}
	return s.writeActions(ctx, tx, tj, []actionWrite{{w: w}})
}

// writeResults writes the result rows of ws (what processing found, the
// rules' explanations) in one statement.
func (s *Store) writeResults(ctx context.Context, tx querier, ws []*processingWrite) error {
	if len(ws) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO delivery_results
			(delivery_id, action, repo, sender, status, error, processed_at, rules_matched, explanation)
		VALUES `)
	const cols = 9
	args := make([]any, 0, cols*len(ws))
	for i, w := range ws {
		writeValuesRow(&b, i, cols)
		p := w.p
		args = append(args, p.Delivery, p.Action, p.Repo, p.Sender, p.Status, p.Error, s.dialect.timeArg(p.At), w.matched, string(w.rulesJSON))
	}
	b.WriteString(`
		ON CONFLICT (delivery_id) DO UPDATE SET
			action = excluded.action, repo = excluded.repo, sender = excluded.sender, status = excluded.status,
			error = excluded.error, processed_at = excluded.processed_at, rules_matched = excluded.rules_matched,
			explanation = excluded.explanation`)
	_, err := tx.exec(ctx, b.String(), args...)
	return err
}

// actionWrite is one delivery's actions for writeActions.
type actionWrite struct {
	w *processingWrite
	// claimed jobs (EnqueueClaimed) get their outcome recorded running,
	// attempt 1, as the Runner records it before it acts: should the
	// process stop before the attempt records its end, the next one knows
	// it may have acted.
	claimed bool
}

// outcomeRowsPerStatement bounds the rows of one outcome insert: 14
// parameters each, under SQLite's 32,766.
const outcomeRowsPerStatement = 1000

// writeActions queues the actions' jobs of every delivery in batch and
// writes their outcomes, in as few statements as the batch allows (a job
// insert per cutRepeats run, an outcome insert per
// outcomeRowsPerStatement), and returns how many jobs were new. For a
// claimed write, the jobs that are new and available are listed in its
// claimed, with their outcomes running (attempt 1); any other job (one
// that was queued before, as when a delivery is received again after
// retention removed it) stays River's, its outcome pending.
func (s *Store) writeActions(ctx context.Context, tx querier, tj txJobs, batch []actionWrite) (inserted int, err error) {
	var (
		params []river.InsertManyParams
		keys   []string
	)
	for _, a := range batch {
		a.w.claimed = a.w.claimed[:0]
		for i, qa := range a.w.p.Actions {
			params = append(params, qa.Job)
			keys = append(keys, qa.Job.Args.Kind()+"\x00"+a.w.args[i])
		}
	}
	if len(params) == 0 {
		return 0, nil
	}
	ids := make([]int64, 0, len(params))
	fresh := make([]bool, 0, len(params))     // inserted by this call
	available := make([]bool, 0, len(params)) // and available to run now
	for _, c := range cutRepeats(params, keys) {
		res, err := tj.insert(ctx, c)
		if err != nil {
			return 0, err
		}
		for _, r := range res {
			ids = append(ids, r.Job.ID)
			fresh = append(fresh, !r.UniqueSkippedAsDuplicate)
			available = append(available, !r.UniqueSkippedAsDuplicate && r.Job.State == rivertype.JobStateAvailable)
		}
	}

	const cols = 14
	now := time.Now()
	var (
		b    strings.Builder
		args []any
		rows int
	)
	flush := func() error {
		if rows == 0 {
			return nil
		}
		b.WriteString(`
			ON CONFLICT (delivery_id, rule_name, action_index) DO UPDATE SET
				action_id = excluded.action_id, seq = excluded.seq, params = excluded.params,
				links = CASE WHEN action_outcomes.links = '' THEN excluded.links ELSE action_outcomes.links END,
				job_id = excluded.job_id, job_kind = excluded.job_kind, job_args = excluded.job_args`)
		_, err := tx.exec(ctx, b.String(), args...)
		b.Reset()
		args, rows = args[:0], 0
		return err
	}
	k := 0
	for _, a := range batch {
		p := a.w.p
		for i, qa := range p.Actions {
			if fresh[k] {
				inserted++
			}
			state, attempts, at := OutcomePending, 0, p.At
			if a.claimed && available[k] {
				state, attempts, at = OutcomeRunning, 1, now
				a.w.claimed = append(a.w.claimed, ClaimedJob{ID: ids[k], Action: i})
			}
			if rows == 0 {
				b.WriteString(`INSERT INTO action_outcomes
					(delivery_id, rule_name, action_index, kind, state, attempts, updated_at,
					 action_id, seq, params, links, job_id, job_kind, job_args) VALUES `)
			}
			writeValuesRow(&b, rows, cols)
			args = append(args, p.Delivery, qa.Rule, qa.Index, qa.Kind, state, attempts, s.dialect.timeArg(at),
				ActionID(p.Delivery, qa.Rule, qa.Index), i, string(qa.Params), a.w.links[i], ids[k], qa.Job.Args.Kind(), a.w.args[i])
			rows++
			k++
			if rows == outcomeRowsPerStatement {
				if err := flush(); err != nil {
					return 0, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return 0, err
	}
	return inserted, nil
}

func encodeLinks(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// decodeLinks reads encodeLinks' output; "" is nil.
func decodeLinks(s string) map[string]string {
	if s == "" {
		return nil
	}
	var m map[string]string
	_ = json.Unmarshal([]byte(s), &m) // written by encodeLinks only
	return m
}
