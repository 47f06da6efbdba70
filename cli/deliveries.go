package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/adminclient"
)

const deliveriesUsage = `usage:
  switchboard deliveries list [--repo R] [--event E] [--status S] [--text T] [--limit N] [--cursor C]
  switchboard deliveries show ID
  switchboard deliveries replay ID
  switchboard actions retry ID

flags of each:
  --url URL        server URL (default: http:// + server.addr of the config)
  --token TOKEN    admin token (default: $SWITCHBOARD_ADMIN_TOKEN, else server.admin_token)
  -o table|json    output format (default table)
  -c, --config F   config file, read for the defaults above
`

// apiCommand is what every admin API command shares: its flags and output.
type apiCommand struct {
	name   string
	fs     *flag.FlagSet
	api    *apiFlags
	output *string
	env    Env
}

func newAPICommand(name string, env Env) *apiCommand {
	c := &apiCommand{name: name, env: env}
	// --env-file changes c.env's LookupEnv, which the token default reads.
	fs, path := newFlags(name, &c.env)
	fs.Usage = func() { fmt.Fprint(env.Stderr, deliveriesUsage) }
	c.fs, c.api = fs, addAPIFlags(fs, path)
	c.output = fs.String("o", "table", "output format: table or json")
	return c
}

// parse reads the flags and wants exactly ids positional arguments.
func (c *apiCommand) parse(args []string, ids int) ([]string, bool) {
	pos, err := parseInterleaved(c.fs, args)
	if err != nil {
		return nil, false
	}
	if len(pos) != ids {
		if ids == 0 {
			fmt.Fprintf(c.env.Stderr, "switchboard %s: unexpected argument %q\n", c.name, pos[0])
		} else {
			fmt.Fprintf(c.env.Stderr, "switchboard %s: want %d ID, got %d arguments\n", c.name, ids, len(pos))
		}
		return nil, false
	}
	if *c.output != "table" && *c.output != "json" {
		fmt.Fprintf(c.env.Stderr, "switchboard %s: -o %q: want table or json\n", c.name, *c.output)
		return nil, false
	}
	return pos, true
}

// fail prints err on one line per problem, never the token, and returns 1.
func (c *apiCommand) fail(err error) int {
	fmt.Fprintf(c.env.Stderr, "switchboard %s: %v\n", c.name, err)
	return 1
}

// json prints the server's answer, indented.
func (c *apiCommand) json(raw json.RawMessage) int {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return c.fail(fmt.Errorf("answer is not JSON: %w", err))
	}
	b.WriteByte('\n')
	_, _ = c.env.Stdout.Write(b.Bytes())
	return 0
}

func ctxTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), apiTimeout)
}

// deliveries runs "switchboard deliveries SUBCOMMAND".
func deliveries(args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, deliveriesUsage)
		return 2
	}
	switch args[0] {
	case "list", "ls":
		return deliveriesList(args[1:], env)
	case "show", "get":
		return deliveriesShow(args[1:], env)
	case "replay":
		return deliveriesReplay(args[1:], env)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, deliveriesUsage)
		return 0
	}
	fmt.Fprintf(env.Stderr, "switchboard deliveries: unknown subcommand %q\n\n%s", args[0], deliveriesUsage)
	return 2
}

// actionsCmd runs "switchboard actions SUBCOMMAND".
func actionsCmd(args []string, env Env) int {
	if len(args) > 0 && args[0] == "retry" {
		return actionsRetry(args[1:], env)
	}
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(env.Stdout, deliveriesUsage)
		return 0
	}
	fmt.Fprintf(env.Stderr, "switchboard actions: want a subcommand: retry ID\n\n%s", deliveriesUsage)
	return 2
}

func deliveriesList(args []string, env Env) int {
	c := newAPICommand("deliveries list", env)
	var f adminclient.Filter
	c.fs.StringVar(&f.Repo, "repo", "", "only this repository (owner/name)")
	c.fs.StringVar(&f.Event, "event", "", "only this event (push, pull_request, ...)")
	c.fs.StringVar(&f.Status, "status", "", "only this status: "+strings.Join(adminclient.Statuses(), ", "))
	c.fs.StringVar(&f.Q, "text", "", "free text: part of the id, event, action, repository or sender")
	c.fs.IntVar(&f.Limit, "limit", 0, "at most this many (server default 50, at most 500)")
	c.fs.StringVar(&f.Cursor, "cursor", "", "the next page's cursor, from a previous list")
	if _, ok := c.parse(args, 0); !ok {
		return 2
	}
	cl, err := c.api.client(c.env)
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	page, err := cl.List(ctx, f)
	if err != nil {
		return c.fail(err)
	}
	if *c.output == "json" {
		return c.json(page.Raw)
	}
	writeList(env.Stdout, page, time.Now())
	if page.NextCursor != "" {
		fmt.Fprintf(env.Stderr, "more: add --cursor %s\n", page.NextCursor)
	}
	return 0
}

// oneID runs an admin command that takes one ID: call asks the server,
// and text prints its answer for -o table; -o json prints the server's
// answer as it came.
func oneID[T any](name string, args []string, env Env,
	call func(context.Context, *adminclient.Client, string) (T, json.RawMessage, error),
	text func(io.Writer, T, string)) int {
	c := newAPICommand(name, env)
	ids, ok := c.parse(args, 1)
	if !ok {
		return 2
	}
	cl, err := c.api.client(c.env)
	if err != nil {
		return c.fail(err)
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	v, raw, err := call(ctx, cl, ids[0])
	if err != nil {
		return c.fail(err)
	}
	if *c.output == "json" {
		return c.json(raw)
	}
	text(env.Stdout, v, ids[0])
	return 0
}

func deliveriesShow(args []string, env Env) int {
	return oneID("deliveries show", args, env,
		func(ctx context.Context, cl *adminclient.Client, id string) (*adminclient.Detail, json.RawMessage, error) {
			d, err := cl.Get(ctx, id)
			if err != nil {
				return nil, nil, err
			}
			return d, d.Raw, nil
		},
		func(w io.Writer, d *adminclient.Detail, _ string) { writeDetail(w, d, time.Now()) })
}

func deliveriesReplay(args []string, env Env) int {
	return oneID("deliveries replay", args, env,
		func(ctx context.Context, cl *adminclient.Client, id string) (*adminclient.Replayed, json.RawMessage, error) {
			r, err := cl.Replay(ctx, id)
			if err != nil {
				return nil, nil, err
			}
			return r, r.Raw, nil
		},
		func(w io.Writer, r *adminclient.Replayed, _ string) {
			fmt.Fprintf(w, "replayed %s as %s\n", r.ReplayOf, r.Delivery)
		})
}

func actionsRetry(args []string, env Env) int {
	return oneID("actions retry", args, env,
		func(ctx context.Context, cl *adminclient.Client, id string) (json.RawMessage, json.RawMessage, error) {
			raw, err := cl.Retry(ctx, id)
			return raw, raw, err
		},
		func(w io.Writer, raw json.RawMessage, id string) {
			var a struct {
				Action string `json:"action"`
				State  string `json:"state"`
			}
			_ = json.Unmarshal(raw, &a) // an unexpected body still means 2xx: the retry is queued
			if a.Action == "" {
				a.Action, a.State = id, "queued"
			}
			fmt.Fprintf(w, "action %s %s for retry\n", a.Action, a.State)
		})
}
