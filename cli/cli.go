// Package cli implements the switchboard command line: flags, subcommands and
// their output. cmd/switchboard only calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/rules"
	"github.com/switchboard-dev/switchboard/server"
)

// Env is the process around a command: its streams and environment.
type Env struct {
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	LookupEnv func(string) (string, bool)
	Version   string
}

const usage = `usage: switchboard <command> [flags]

commands:
  serve      run the GitHub App server
  validate   check the config file and render every template against sample events
  simulate   show the actions one payload would run, without running them
  deliveries list, show ID, replay ID: what a running server did with each delivery, and why
  actions    retry ID: run a failed or cancelled action again (see switchboard deliveries help)
  setup      register the GitHub App from app.yml and write its credentials
  check      check every configured connection (GitHub App, Jenkins, Slack, store)
  version    print the version

flags common to serve, validate, simulate and check:
  -c, --config FILE   config file (default $SWITCHBOARD_CONFIG or switchboard.yml)
  --env-file FILE     read variables from FILE (NAME=value lines) where the environment has none

repository rules (docs/repo-rules.md):
  validate --repo FILE [--for owner/repo]   check a .github/switchboard.yml against the repo_rules policy of -c
  simulate ... --repo-config FILE           also run that file's rules for the payload's repository
`

// Main runs the command in args (without the program name) and returns the
// process exit code.
func Main(args []string, env Env) int {
	if env.LookupEnv == nil {
		env.LookupEnv = os.LookupEnv
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], env)
	case "validate":
		return validate(args[1:], env)
	case "simulate":
		return simulate(args[1:], env)
	case "deliveries":
		return deliveries(args[1:], env)
	case "actions":
		return actionsCmd(args[1:], env)
	case "setup":
		return setupCmd(args[1:], env)
	case "check":
		return checkCmd(args[1:], env)
	case "version", "--version", "-version":
		fmt.Fprintf(env.Stdout, "switchboard %s\n", env.Version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return 0
	}
	fmt.Fprintf(env.Stderr, "switchboard: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func newFlags(name string, env *Env) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	def := "switchboard.yml"
	if v, ok := env.LookupEnv("SWITCHBOARD_CONFIG"); ok && v != "" {
		def = v
	}
	path := fs.String("config", def, "config file")
	fs.StringVar(path, "c", def, "config file (shorthand)")
	envFileFlag(fs, env)
	return fs, path
}

func serve(args []string, env Env) int {
	fs, path := newFlags("serve", &env)
	format := fs.String("log-format", "json", "log format: json or text")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	watch := fs.Bool("watch", true, "reload when the config file changes (SIGHUP always reloads)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logger := logrus.New()
	logger.SetOutput(env.Stderr)
	if *format == "text" {
		logger.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	} else {
		logger.SetFormatter(&logrus.JSONFormatter{})
	}
	lvl, err := logrus.ParseLevel(*level)
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchboard: --log-level: %v\n", err)
		return 2
	}
	logger.SetLevel(lvl)
	log := logrus.NewEntry(logger).WithField("version", env.Version)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()

	err = server.Run(ctx, server.Options{ConfigPath: *path, LookupEnv: env.LookupEnv, Logger: log, Reload: reload, NoWatch: !*watch, MemoryLimit: true})
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) {
			for _, e := range ce {
				fmt.Fprintln(env.Stderr, e.Error())
			}
			log.WithField("problems", len(ce)).Error("config invalid; not starting")
		} else {
			log.WithError(err).Error("switchboard stopped")
		}
		return 1
	}
	return 0
}

func validate(args []string, env Env) int {
	fs, path := newFlags("validate", &env)
	repoFile := fs.String("repo", "", "check this repository file (.github/switchboard.yml) against the repo_rules policy of -c instead")
	forRepo := fs.String("for", "", "with --repo: the repository (owner/repo) the file is for, to check job paths and channels")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *repoFile != "" {
		return validateRepo(env, *path, *repoFile, *forRepo)
	}
	cfg, err := config.Load(*path, env.LookupEnv)
	if err != nil {
		return printProblems(env.Stderr, err)
	}
	if _, err := rules.Validate(cfg); err != nil {
		return printProblems(env.Stderr, err)
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(env.Stderr, w)
	}
	fmt.Fprintf(env.Stdout, "%s: ok (%d rules)\n", cfg.File, len(cfg.Rules))
	return 0
}

func printProblems(w io.Writer, err error) int {
	var ce config.Errors
	if errors.As(err, &ce) {
		ce.Sort()
		for _, e := range ce {
			fmt.Fprintln(w, e.Error())
		}
		return 1
	}
	fmt.Fprintf(w, "switchboard: %v\n", err)
	return 1
}

func simulate(args []string, env Env) int {
	fs, path := newFlags("simulate", &env)
	event := fs.String("event", "", "event name, as in X-GitHub-Event, or the source's event type (required)")
	source := fs.String("source", "github", "where the event comes from: github, stripe or slack")
	payloadPath := fs.String("payload", "", "payload file, or - for standard input (required)")
	files := fs.String("files", "", "comma-separated changed files of a pull request, for paths conditions")
	delivery := fs.String("delivery", "simulated", "delivery ID to render as .Delivery")
	explain := fs.Bool("explain", false, "first print, for each rule listening to the event, whether it matched and why, condition by condition")
	repoConfig := fs.String("repo-config", "", "also run the rules of this repository file (.github/switchboard.yml) for the payload's repository, under the repo_rules policy")
	api := addAPIFlags(fs, path) // for --delivery without --payload
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var payload []byte
	if *payloadPath == "" && flagGiven(fs, "delivery") {
		// A stored delivery, fetched from a running server, runs on the local config.
		stored, code := storedDelivery(env, api, *delivery)
		if code != 0 {
			return code
		}
		payload = stored.Payload
		if *event == "" {
			*event = stored.Event
		}
	}
	if *event == "" || (*payloadPath == "" && payload == nil) {
		fmt.Fprintln(env.Stderr, "switchboard simulate: --event and --payload are required (or --delivery ID of a stored delivery)")
		return 2
	}
	if config.SourceOf(*event) != config.SourceGitHub {
		*source = config.SourceOf(*event) // a stored delivery of a source
	}
	// A misspelt name would match no rule and print nothing.
	name, nerr := config.SourceEventName(*source, *event)
	if nerr != nil {
		fmt.Fprintf(env.Stderr, "switchboard simulate: --event %v\n", nerr)
		return 2
	}
	*event = name
	var err error
	if payload == nil {
		if *payloadPath == "-" {
			payload, err = io.ReadAll(env.Stdin)
		} else {
			payload, err = os.ReadFile(*payloadPath)
		}
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchboard simulate: read payload: %v\n", err)
		return 1
	}
	cfg, err := config.Load(*path, env.LookupEnv)
	if err != nil {
		return printProblems(env.Stderr, err)
	}
	engine, err := rules.Compile(cfg)
	if err != nil {
		return printProblems(env.Stderr, err)
	}
	var fileList []string
	if *files != "" {
		fileList = strings.Split(*files, ",")
	}
	var explainTo io.Writer
	if *explain {
		explainTo = env.Stdout
	}
	if err := rules.SimulateExplain(context.Background(), engine, *event, *delivery, payload, fileList, env.Stdout, env.Stderr, explainTo); err != nil {
		fmt.Fprintf(env.Stderr, "switchboard simulate: %v\n", err)
		return 1
	}
	if *repoConfig != "" {
		return simulateRepo(env, cfg, *repoConfig, *event, *delivery, payload, fileList, explainTo)
	}
	return 0
}
