package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/envfile"
	"github.com/switchboard-dev/switchboard/setup"
)

// envFileFlag adds --env-file: its variables answer env.LookupEnv where the
// environment has none (an exported variable wins, as with dotenv).
func envFileFlag(fs *flag.FlagSet, env *Env) {
	fs.Func("env-file", "read variables from `FILE` (NAME=value lines, as setup writes github-app.env) where the environment has none", func(path string) error {
		vars, err := envfile.Read(path)
		if err != nil {
			return err
		}
		env.LookupEnv = envfile.Lookup(env.LookupEnv, vars)
		return nil
	})
}

func setupCmd(args []string, env Env) int {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	def := "switchboard.yml"
	if v, ok := env.LookupEnv("SWITCHBOARD_CONFIG"); ok && v != "" {
		def = v
	}
	var o setup.Options
	fs.StringVar(&o.Addr, "addr", setup.DefaultAddr, "where the setup page listens")
	fs.StringVar(&o.PublicURL, "public-url", "", "the address GitHub will reach Switchboard at, such as https://switchboard.example.com (required)")
	fs.StringVar(&o.WebhookPath, "webhook-path", "/webhook", "server.webhook_path: the webhook URL is the public URL and this path")
	fs.StringVar(&o.Org, "org", "", "register the App for this organization instead of your account")
	fs.StringVar(&o.GitHubURL, "github-url", setup.DefaultGitHubURL, "GitHub, or a GitHub Enterprise Server such as https://github.example.com")
	fs.StringVar(&o.OutDir, "out", ".", "directory for github-app.env and github-app.pem")
	fs.BoolVar(&o.Force, "force", false, "replace credentials that are already there")
	fs.StringVar(&o.ConfigPath, "config", def, "config file serve will read; the example configuration is written there if none is")
	fs.StringVar(&o.ConfigPath, "c", def, "config file (shorthand)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "switchboard setup: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	logger := logrus.New()
	logger.SetOutput(env.Stderr)
	logger.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
	o.Logger = logrus.NewEntry(logger)
	o.Out = env.Stdout
	o.Manifest = switchboard.AppManifest()
	o.ExampleConfig = switchboard.ExampleConfig()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := setup.Run(ctx, o); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(env.Stderr, "switchboard setup: stopped before the App was registered")
		} else {
			fmt.Fprintf(env.Stderr, "switchboard setup: %v\n", err)
		}
		return 1
	}
	return 0
}
