// Command switchboard-bench-subject serves one of the measuring sticks that
// scripts/bench-intake.sh sets beside `switchboard serve`, in a process of
// its own, until interrupted:
//
//	floor         read the body under GitHub's cap, check X-Hub-Signature-256, answer 202
//	sqlite-probe  the same, plus the raw body in one SQLite table, one writer
//	              committing whatever waits (up to 64, at most 1 ms) with
//	              synchronous=FULL, answering after the commit
//
//	SWITCHBOARD_LOAD_SECRET=... switchboard-bench-subject -subject floor -listen 127.0.0.1:3201
//
// It is a small binary on purpose: its peak memory is compared with
// Switchboard's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/switchboard-dev/switchboard/internal/benchsubject"
)

// secretEnv holds the webhook secret, so that it does not show in the
// process list; the same variable as switchboard-load's.
const secretEnv = "SWITCHBOARD_LOAD_SECRET"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv(secretEnv), os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "switchboard-bench-subject:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	subject string
	listen  string
	db      string
}

// parseFlags reads args into options and checks them.
func parseFlags(args []string, secret string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("switchboard-bench-subject", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.subject, "subject", "", "floor or sqlite-probe")
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "loopback address to listen on")
	fs.StringVar(&o.db, "db", "", "with -subject sqlite-probe: the SQLite file (created)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	host, _, err := net.SplitHostPort(o.listen)
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case secret == "":
		return o, errors.New("the webhook secret must be in $" + secretEnv)
	case o.subject != "floor" && o.subject != "sqlite-probe":
		return o, fmt.Errorf("-subject %q: want floor or sqlite-probe", o.subject)
	case o.subject == "sqlite-probe" && o.db == "":
		return o, errors.New("-subject sqlite-probe needs -db")
	case o.subject == "floor" && o.db != "":
		return o, errors.New("-db is for -subject sqlite-probe")
	case err != nil:
		return o, fmt.Errorf("-listen: %v", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return o, fmt.Errorf("-listen %q: not a loopback address", o.listen)
	}
	return o, nil
}

// run serves until ctx ends. listening, when set, hears the bound address.
func run(ctx context.Context, args []string, secret string, stderr io.Writer, listening func(net.Addr)) error {
	o, err := parseFlags(args, secret, stderr)
	if err != nil {
		return err
	}
	var probe *benchsubject.Probe
	h := benchsubject.Floor(secret)
	if o.subject == "sqlite-probe" {
		if probe, err = benchsubject.OpenProbe(ctx, o.db, secret); err != nil {
			return err
		}
		probe.Start()
		h = probe
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		if probe != nil {
			err = errors.Join(err, probe.Close())
		}
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "serving %s on http://%s\n", o.subject, ln.Addr())
	if listening != nil {
		listening(ln.Addr())
	}
	select {
	case <-ctx.Done():
	case err = <-done:
		// Serve failed before any shutdown.
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(err, srv.Shutdown(sctx))
	if probe != nil {
		err = errors.Join(err, probe.Close())
		if batches, rows := probe.Stats(); batches > 0 {
			fmt.Fprintf(stderr, "probe: %d deliveries in %d transactions (%.1f a commit)\n", rows, batches, float64(rows)/float64(batches))
		}
	}
	return err
}
