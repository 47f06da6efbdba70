package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// benchOptions are the flags of the benchmark scripts' modes
// (scripts/bench-*.sh). Two run on their own: -wrk (one subject's row,
// driven by wrk) and -table (the rows as a table). Three add to a -url
// run: -backlog-db samples the queue, -latency-jenkins times delivery ->
// Jenkins trigger, -metric prints one of the target's metrics. The subjects
// other than Switchboard are served by cmd/switchboard-bench-subject.
type benchOptions struct {
	wrkURL     string
	name       string
	wrkPID     int
	wrkCountDB string
	wrkThreads int
	wrkOut     string
	wrkBin     string

	table string

	backlogDB    string
	backlogEvery time.Duration
	backlogAfter time.Duration

	latencyJenkins string
	latencyWait    time.Duration
	stagesDB       string
	metric         string
}

// addBenchFlags declares the benchmark flags on fs.
func addBenchFlags(fs *flag.FlagSet, b *benchOptions) {
	fs.StringVar(&b.wrkURL, "wrk", "", "drive this URL with wrk (one fixed signed body, a unique delivery ID per request) and print the subject's row")
	fs.StringVar(&b.name, "name", "", "with -wrk: the subject's name in the table (\"floor\" is the one ratios are to)")
	fs.IntVar(&b.wrkPID, "wrk-pid", 0, "with -wrk: the subject's process, whose peak RSS (VmHWM) is read after the run")
	fs.StringVar(&b.wrkCountDB, "wrk-count-db", "", "with -wrk: a SQLite file whose deliveries rows are counted after the run")
	fs.IntVar(&b.wrkThreads, "wrk-threads", 2, "with -wrk: wrk threads")
	fs.StringVar(&b.wrkOut, "wrk-out", "", "with -wrk: append the row as a JSON line to this file")
	fs.StringVar(&b.wrkBin, "wrk-bin", "wrk", "with -wrk: the wrk executable")
	fs.StringVar(&b.table, "table", "", "print the rows -wrk-out appended to this file as a table with ratios to the floor")
	fs.StringVar(&b.backlogDB, "backlog-db", "", "with -url: sample River's jobs (queued, running, done by kind) in this SQLite file or postgres:// database during and after the run")
	fs.DurationVar(&b.backlogEvery, "backlog-every", time.Second, "with -backlog-db: how often to sample during the run")
	fs.DurationVar(&b.backlogAfter, "backlog-after", 10*time.Second, "with -backlog-db: how long to wait after the run for the backlog to empty")
	fs.StringVar(&b.latencyJenkins, "latency-jenkins", "", "with -url: serve a fake Jenkins (user '"+jenkinsUser+"', API token $"+jenkinsTokenEnv+") on this loopback address and report delivery sent -> trigger received for each delivery (build parameter "+latencyParam+")")
	fs.DurationVar(&b.latencyWait, "latency-wait", 10*time.Second, "with -latency-jenkins: how long to wait after the run for the last triggers")
	fs.StringVar(&b.stagesDB, "stages-db", "", "with -latency-jenkins: after the run, split each delivery's path into stages by the timestamps in this SQLite store file")
	fs.StringVar(&b.metric, "metric", "", "with -url: after the run, print the target's /metrics lines that start with this name")
}

// standalone is the mode that runs on its own, if any.
func (b benchOptions) standalone() string {
	switch {
	case b.wrkURL != "":
		return "wrk"
	case b.table != "":
		return "table"
	}
	return ""
}

// check validates the benchmark flags against the rest of o.
func (b benchOptions) check(o options) error {
	modes := 0
	for _, set := range []bool{b.wrkURL != "", b.table != ""} {
		if set {
			modes++
		}
	}
	targeted := b.backlogDB != "" || b.latencyJenkins != "" || b.metric != ""
	switch {
	case modes > 1:
		return errors.New("give -wrk or -table, not both")
	case modes == 1 && (o.url != "" || o.inproc != "" || o.floor || targeted):
		return errors.New("-wrk and -table run on their own: no -url, -inproc, -floor, -backlog-db, -latency-jenkins or -metric")
	case targeted && o.url == "":
		return errors.New("-backlog-db, -latency-jenkins and -metric need -url")
	case b.wrkURL != "" && b.name == "":
		return errors.New("-wrk needs -name")
	case b.wrkThreads < 1 || b.wrkThreads > 256:
		return errors.New("-wrk-threads must be 1 to 256")
	case b.wrkURL != "" && o.concurrency < b.wrkThreads:
		return errors.New("-c must be at least -wrk-threads (wrk gives each thread its connections)")
	case b.wrkPID < 0:
		return errors.New("-wrk-pid must be a process ID")
	case b.backlogEvery <= 0 || b.backlogAfter < 0 || b.latencyWait < 0:
		return errors.New("-backlog-every must be positive, -backlog-after and -latency-wait not negative")
	case b.stagesDB != "" && b.latencyJenkins == "":
		return errors.New("-stages-db needs -latency-jenkins")
	case b.latencyJenkins != "" && strings.Contains(o.url, ","):
		return errors.New("-latency-jenkins takes one -url")
	}
	if b.wrkURL != "" {
		return checkURL(b.wrkURL, o.allowRemote)
	}
	return nil
}

// runStandalone runs the -wrk or -table mode.
func runStandalone(ctx context.Context, o options, stdout, stderr io.Writer) error {
	b := o.bench
	switch b.standalone() {
	case "wrk":
		res, err := runWrk(ctx, wrkConfig{
			Bin: b.wrkBin, Name: b.name, URL: b.wrkURL, Secret: o.secret, Event: o.event, Size: o.size,
			Connections: o.concurrency, Threads: b.wrkThreads, Duration: o.duration, Timeout: o.timeout,
			PID: b.wrkPID, CountDB: b.wrkCountDB,
		}, stderr)
		if err != nil {
			return err
		}
		if b.wrkOut != "" {
			if err := appendWrkRow(b.wrkOut, res); err != nil {
				return err
			}
		}
		printWrkTable(stdout, []wrkResult{res})
		return res.check()
	default:
		rows, err := readWrkRows(b.table)
		if err != nil {
			return err
		}
		printWrkTable(stdout, rows)
		var errs []error
		for _, r := range rows {
			errs = append(errs, r.check())
		}
		return errors.Join(errs...)
	}
}

// targetExtras is what -backlog-db, -latency-jenkins and -metric add to a
// -url run.
type targetExtras struct {
	Backlog *backlogReport `json:"backlog,omitempty"`
	Latency *latencyReport `json:"trigger_latency,omitempty"`
	Stages  []stage        `json:"stages,omitempty"`
	Metric  []string       `json:"metric,omitempty"`
}

// runTarget is runWatched with the extras of b around it.
func runTarget(ctx context.Context, cfg loadConfig, o options, stderr io.Writer) (result, *watchReport, targetExtras, error) {
	b := o.bench
	var ex targetExtras
	var clock *triggerClock
	delivered := &deliveredIDs{}
	if b.latencyJenkins != "" {
		clock = newTriggerClock()
		fj, err := startFakeJenkins(b.latencyJenkins, os.Getenv(jenkinsTokenEnv), clock)
		if err != nil {
			return result{}, nil, ex, err
		}
		defer fj.stop()
		cfg.OnSend = clock.onSend
		cfg.OnAnswer = func(id string, status int) {
			if status/100 == 2 {
				delivered.add(id)
			}
		}
	}
	type watched struct {
		rep backlogReport
		err error
	}
	var backlogDone chan watched
	loadDone := make(chan struct{})
	if b.backlogDB != "" {
		db, err := openBacklogDB(b.backlogDB)
		if err != nil {
			return result{}, nil, ex, err
		}
		defer db.Close()
		if _, err := sampleBacklog(ctx, db, 0); err != nil {
			return result{}, nil, ex, err
		}
		backlogDone = make(chan watched, 1)
		start := time.Now()
		go func() {
			rep, err := watchBacklog(ctx, db, start, b.backlogEvery, b.backlogAfter, loadDone, stderr)
			backlogDone <- watched{rep, err}
		}()
	}
	res, w, err := runWatched(ctx, cfg, o.watch, stderr)
	close(loadDone)
	if backlogDone != nil {
		got := <-backlogDone
		ex.Backlog = &got.rep
		err = errors.Join(err, got.err)
	}
	if clock != nil {
		ids := delivered.all()
		wctx, cancel := context.WithTimeout(ctx, b.latencyWait)
		clock.wait(wctx, ids)
		cancel()
		rep := clock.report(ids)
		ex.Latency = &rep
		if len(ids) > 0 && rep.Triggered == 0 {
			err = errors.Join(err, errNoTriggers)
		}
		if b.stagesDB != "" {
			stages, serr := readStages(ctx, b.stagesDB, ids)
			ex.Stages = stages
			err = errors.Join(err, serr)
		}
	}
	if b.metric != "" {
		lines, merr := scrapeMetric(ctx, o.url, b.metric)
		ex.Metric = lines
		err = errors.Join(err, merr)
	}
	return res, w, ex, err
}

// scrapeMetric reads /metrics beside the webhook URL and returns the lines
// of the metric named name (its samples, not its HELP and TYPE).
func scrapeMetric(ctx context.Context, webhook, name string) ([]string, error) {
	u, err := url.Parse(webhook)
	if err != nil {
		return nil, err
	}
	u.Path, u.RawQuery = "/metrics", ""
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	var lines []string
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, name) {
			lines = append(lines, l)
		}
	}
	return lines, sc.Err()
}

// printExtras writes ex for people.
func printExtras(w io.Writer, ex targetExtras, metric string) {
	if bl := ex.Backlog; bl != nil {
		fmt.Fprintf(w, "backlog (queued + running jobs)  peak during the load %d\n", bl.PeakDuring)
		fmt.Fprintf(w, "  at the end of the load  %s\n", bl.AtEnd.line())
		if bl.EmptyAfter >= 0 {
			fmt.Fprintf(w, "  empty %.2fs after the end of the load\n", bl.EmptyAfter)
		} else {
			fmt.Fprintf(w, "  not empty within the wait; last (%.1fs): %s\n", bl.Last.At, bl.Last.line())
		}
	}
	if l := ex.Latency; l != nil {
		fmt.Fprintf(w, "delivery sent -> Jenkins trigger received: %d of %d deliveries triggered (%d missing, %d extra)\n", l.Triggered, l.Delivered, l.Missing, l.Extra)
		fmt.Fprintf(w, "  latency ms    p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", l.Latency.P50, l.Latency.P90, l.Latency.P99, l.Latency.Max)
	}
	printStages(w, ex.Stages)
	if metric != "" {
		if len(ex.Metric) == 0 {
			fmt.Fprintf(w, "%s: not exposed by the target\n", metric)
		}
		for _, l := range ex.Metric {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// readStatusKB reads a "kB" field (VmRSS, VmHWM) of /proc/PID/status.
func readStatusKB(pid int, field string) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("process %d: %s %q: %w", pid, field, rest, err)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	return 0, fmt.Errorf("process %d: no %s (exited?)", pid, field)
}
