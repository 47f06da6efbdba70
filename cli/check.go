package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/check"
	"github.com/switchboard-dev/switchboard/config"
)

// checkCmd prints one line per configured connection, OK or its problem, and
// exits 1 on any problem.
func checkCmd(args []string, env Env) int {
	fs, path := newFlags("check", &env)
	timeout := fs.Duration("timeout", 30*time.Second, "how long each request may take")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "switchboard check: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, err := config.Load(*path, env.LookupEnv)
	if err != nil {
		return printProblems(env.Stderr, err)
	}
	logger := logrus.New()
	logger.SetOutput(env.Stderr)
	logger.SetLevel(logrus.WarnLevel)
	logger.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results := check.Run(ctx, check.Options{Config: cfg, HTTPClient: &http.Client{Timeout: *timeout}, Logger: logrus.NewEntry(logger)})
	for _, r := range results {
		fmt.Fprintln(env.Stdout, r.String())
	}
	if check.Failed(results) {
		return 1
	}
	return 0
}
