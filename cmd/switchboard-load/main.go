// Command switchboard-load drives a webhook intake with signed, push-like
// deliveries from concurrent senders and reports deliveries/s, latency
// percentiles and answers by status. With -floor it first drives an
// in-process server that only checks the HMAC (the floor), and reports the
// target's throughput as a ratio to it; with -inproc sqlite the target is
// Switchboard's own intake over the real store on a temporary SQLite file,
// so that both are measured in one run on the same machine.
//
//	switchboard-load -floor -inproc sqlite -c 32 -d 10s -size 8192
//	SWITCHBOARD_LOAD_SECRET=... switchboard-load -url http://127.0.0.1:3000/webhook
//
// -url takes a comma-separated list, sent to in turn as a load balancer
// would (replicas on one Postgres). For a soak, -rate paces the deliveries
// and -watch-pid / -watch-files sample the server's resident memory and its
// store's files while the run goes on, reporting start, peak and end.
//
// The benchmark scripts (scripts/bench-*.sh) use four more modes: -wrk
// drives one subject with wrk and prints its row (-table prints the rows of
// several); with -url, -backlog-db samples River's jobs in the store during
// and after the run, and -latency-jenkins serves a fake Jenkins and times
// each delivery to its build trigger (-stages-db splits that time by the
// store's timestamps).
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// secretEnv is where the secret is read from when -secret is not given, so
// that it need not show in the process list.
const secretEnv = "SWITCHBOARD_LOAD_SECRET"

// options are the command's flags.
type options struct {
	url         string
	secret      string
	concurrency int
	duration    time.Duration
	maxRequests int64
	size        int
	event       string
	timeout     time.Duration
	floor       bool
	inproc      string
	work        bool
	jsonOut     bool
	allowRemote bool
	cpuProfile  string
	rate        float64
	watch       watchConfig
	watchFiles  string
	bench       benchOptions
}

// report is the -json output.
type report struct {
	Floor  *result `json:"floor,omitempty"`
	Target *result `json:"target,omitempty"`
	// Ratio is the target's deliveries/s over the floor's.
	Ratio *float64 `json:"ratio,omitempty"`
	// Watch is what -watch-pid and -watch-files saw during the target's run.
	Watch *watchReport `json:"watch,omitempty"`
	// JobsWorked is how many process_delivery jobs the -inproc -work worker
	// ran during the target's run.
	JobsWorked *int64 `json:"jobs_worked,omitempty"`
	targetExtras
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-load:", err)
		os.Exit(1)
	}
}

// parseFlags reads args into options and checks them.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("switchboard-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "", "target webhook URL, or several separated by commas, sent to in turn (loopback only unless -allow-remote)")
	fs.StringVar(&o.secret, "secret", "", "webhook secret (default: $"+secretEnv+"; a random one for -floor/-inproc only)")
	fs.IntVar(&o.concurrency, "c", 32, "concurrent senders")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "duration of each run")
	fs.Int64Var(&o.maxRequests, "n", 5_000_000, "at most this many requests per run")
	fs.IntVar(&o.size, "size", 8192, "payload size in bytes")
	fs.StringVar(&o.event, "event", "push", "X-GitHub-Event of the deliveries")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "per-request timeout (GitHub's is 10s)")
	fs.BoolVar(&o.floor, "floor", false, "first drive an in-process HMAC-only floor server, then the target, and report the ratio")
	fs.StringVar(&o.inproc, "inproc", "", `target an in-process intake over the real store: "sqlite" (temporary file)`)
	fs.BoolVar(&o.work, "work", false, "with -inproc: also run the store's process_delivery jobs with a no-op worker during the load")
	fs.BoolVar(&o.jsonOut, "json", false, "print the results as JSON")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "allow a -url that is not on loopback")
	fs.Float64Var(&o.rate, "rate", 0, "deliveries per second in all (0: as fast as the senders go)")
	fs.IntVar(&o.watch.PID, "watch-pid", 0, "sample this process's resident memory during the target run (Linux)")
	fs.StringVar(&o.watchFiles, "watch-files", "", "sample the total size of these comma-separated files during the target run")
	fs.DurationVar(&o.watch.Every, "watch-every", 10*time.Second, "how often -watch-pid and -watch-files sample")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole process (senders and in-process servers) to this file")
	addBenchFlags(fs, &o.bench)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.secret == "" {
		o.secret = os.Getenv(secretEnv)
	}
	if err := o.bench.check(o); err != nil {
		return o, err
	}
	if o.bench.standalone() == "wrk" && o.secret == "" {
		return o, errors.New("-wrk needs -secret or $" + secretEnv)
	}
	standalone := o.bench.standalone() != ""
	switch {
	case o.url != "" && o.inproc != "":
		return o, errors.New("give -url or -inproc, not both")
	case o.url == "" && o.inproc == "" && !o.floor && !standalone:
		return o, errors.New("nothing to drive: give -url, -inproc or -floor")
	case o.url != "" && o.secret == "":
		return o, errors.New("-url needs -secret or $" + secretEnv)
	case o.work && o.inproc == "":
		return o, errors.New("-work needs -inproc")
	case o.concurrency < 1 || o.concurrency > 10_000:
		return o, errors.New("-c must be 1 to 10000")
	case o.duration <= 0 || o.duration > 24*time.Hour:
		return o, errors.New("-d must be above 0 and at most 24h")
	case o.maxRequests < 1:
		return o, errors.New("-n must be positive")
	case o.size < 0 || o.size > 25<<20:
		return o, errors.New("-size must be 0 to 25 MiB")
	case o.event == "":
		return o, errors.New("-event must not be empty")
	case o.timeout <= 0:
		return o, errors.New("-timeout must be positive")
	case o.rate < 0:
		return o, errors.New("-rate must not be negative")
	case o.watch.PID < 0:
		return o, errors.New("-watch-pid must be a process ID")
	case o.watch.Every <= 0:
		return o, errors.New("-watch-every must be positive")
	}
	if o.watchFiles != "" {
		o.watch.Files = strings.Split(o.watchFiles, ",")
	}
	if o.watch.enabled() && o.url == "" && o.inproc == "" {
		return o, errors.New("-watch-pid and -watch-files need a target: -url or -inproc")
	}
	if o.url != "" {
		for _, u := range strings.Split(o.url, ",") {
			if err := checkURL(u, o.allowRemote); err != nil {
				return o, err
			}
		}
	}
	if o.secret == "" {
		// Only in-process servers here: a random secret they share with the
		// senders.
		b := make([]byte, 16)
		_, _ = rand.Read(b) // never fails (crypto/rand)
		o.secret = hex.EncodeToString(b)
	}
	return o, nil
}

// checkURL accepts an http(s) URL whose host is on loopback, or any host
// with allowRemote: a load test is not to be pointed at someone's server by
// mistake.
func checkURL(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("-url: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return errors.New("-url must be an http:// or https:// URL")
	}
	if allowRemote {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-url host %q is not loopback; add -allow-remote to drive it", host)
	}
	return nil
}

// run is the command, with its inputs and outputs passed in.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.bench.standalone() != "" {
		return runStandalone(ctx, o, stdout, stderr)
	}
	logger := logrus.New()
	logger.SetOutput(stderr)
	logger.SetLevel(logrus.WarnLevel) // intake logs each rejection at Info
	log := logrus.NewEntry(logger)

	base := loadConfig{
		Secret: o.secret, Event: o.event, Concurrency: o.concurrency, Duration: o.duration,
		MaxRequests: o.maxRequests, Size: o.size, Timeout: o.timeout, Rate: o.rate,
	}
	var rep report
	if o.floor {
		srv, err := serveLoopback(floorHandler(o.secret))
		if err != nil {
			return fmt.Errorf("floor server: %w", err)
		}
		cfg := base
		cfg.Name, cfg.URL, cfg.RunID = "floor", srv.URL+"/webhook", randomRunID()
		res, err := runLoad(ctx, cfg)
		if serr := srv.stop(); err == nil && serr != nil {
			err = fmt.Errorf("floor server: %w", serr)
		}
		if err != nil {
			return err
		}
		rep.Floor = &res
	}
	if o.url != "" || o.inproc != "" {
		cfg := base
		cfg.Name, cfg.URL, cfg.RunID = "target", o.url, randomRunID()
		var t *inprocTarget
		if o.inproc != "" {
			if t, err = startInproc(ctx, o.inproc, o.secret, o.work, log); err != nil {
				return fmt.Errorf("in-process target: %w", err)
			}
			cfg.Name, cfg.URL = "inproc "+o.inproc, t.URL
		}
		res, w, ex, err := runTarget(ctx, cfg, o, stderr)
		rep.Watch, rep.targetExtras = w, ex
		if t != nil {
			if o.work {
				n := t.worked.Load()
				rep.JobsWorked = &n
			}
			if serr := t.stop(); err == nil && serr != nil {
				err = fmt.Errorf("in-process target: %w", serr)
			}
		}
		if err != nil {
			return err
		}
		rep.Target = &res
	}
	if rep.Floor != nil && rep.Target != nil && rep.Floor.PerSecond > 0 {
		r := rep.Target.PerSecond / rep.Floor.PerSecond
		rep.Ratio = &r
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(stdout, rep, o)
	return nil
}

// runWatched is runLoad, with w sampled while it runs when w is enabled.
func runWatched(ctx context.Context, cfg loadConfig, w watchConfig, progress io.Writer) (result, *watchReport, error) {
	if !w.enabled() {
		res, err := runLoad(ctx, cfg)
		return res, nil, err
	}
	wctx, stop := context.WithCancel(ctx)
	type watched struct {
		rep watchReport
		err error
	}
	done := make(chan watched, 1)
	start := time.Now()
	go func() {
		rep, err := watch(wctx, w, start, progress)
		done <- watched{rep, err}
	}()
	res, err := runLoad(ctx, cfg)
	stop()
	got := <-done
	if err == nil && got.err != nil {
		err = got.err
	}
	return res, &got.rep, err
}

// randomRunID makes delivery IDs unique across runs against one store.
func randomRunID() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return binary.BigEndian.Uint32(b[:])
}

// printReport writes rep for people.
func printReport(w io.Writer, rep report, o options) {
	fmt.Fprintf(w, "%d senders, %d-byte %s payloads, %s per run\n", o.concurrency, rep.payloadSize(), o.event, o.duration)
	for _, r := range []*result{rep.Floor, rep.Target} {
		if r == nil {
			continue
		}
		fmt.Fprintf(w, "%-14s %s\n", r.Name, r.URL)
		fmt.Fprintf(w, "  deliveries/s  %.0f  (%d of %d requests answered 2xx in %.2fs)\n", r.PerSecond, r.Delivered, r.Requests, r.Elapsed)
		fmt.Fprintf(w, "  latency ms    p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
		fmt.Fprintf(w, "  status        %s\n", statusLine(r.Status))
		fmt.Fprintf(w, "  errors        %d\n", r.Errors)
		if r.CutShort > 0 {
			fmt.Fprintf(w, "  cut short     %d (cancelled by the end of the run; the target may have stored them)\n", r.CutShort)
		}
		for _, e := range r.ErrorSample {
			fmt.Fprintf(w, "    %s\n", e)
		}
	}
	if rw := rep.Watch; rw != nil {
		if rw.RSS != nil {
			fmt.Fprintf(w, "rss MiB        start %.1f  peak %.1f  end %.1f  (%d samples, every %gs)\n", mib(rw.RSS.Start), mib(rw.RSS.Peak), mib(rw.RSS.End), len(rw.Samples), rw.Every)
		}
		if rw.Files != nil {
			fmt.Fprintf(w, "files MiB      start %.1f  peak %.1f  end %.1f\n", mib(rw.Files.Start), mib(rw.Files.Peak), mib(rw.Files.End))
		}
	}
	if rep.JobsWorked != nil && rep.Target != nil && rep.Target.Elapsed > 0 {
		fmt.Fprintf(w, "jobs worked during the target run: %d (%.0f/s)\n", *rep.JobsWorked, float64(*rep.JobsWorked)/rep.Target.Elapsed)
	}
	if rep.Ratio != nil {
		fmt.Fprintf(w, "ratio target/floor: %.2f\n", *rep.Ratio)
	}
	printExtras(w, rep.targetExtras, o.bench.metric)
}

// payloadSize is the size of the payloads sent.
func (rep report) payloadSize() int {
	for _, r := range []*result{rep.Floor, rep.Target} {
		if r != nil {
			return r.PayloadSize
		}
	}
	return 0
}

// statusLine is "202=123 503=4", codes in order.
func statusLine(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s=%d", c, m[c])
	}
	return strings.Join(parts, " ")
}
