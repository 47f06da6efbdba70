package cli

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/adminclient"
	"github.com/switchboard-dev/switchboard/config"
)

// apiTimeout bounds one call to a server's admin API.
const apiTimeout = 30 * time.Second

// apiFlags are the flags of every command that calls a running server's
// admin API, as amtool calls Alertmanager's.
type apiFlags struct {
	config *string
	url    *string
	token  *string
}

// addAPIFlags adds --url and --token to fs; config is the command's -c.
func addAPIFlags(fs *flag.FlagSet, config *string) *apiFlags {
	return &apiFlags{
		config: config,
		url:    fs.String("url", "", "server URL (default: http:// + server.addr of the config, a wildcard host as 127.0.0.1)"),
		token:  fs.String("token", "", "admin token (default: $SWITCHBOARD_ADMIN_TOKEN, else server.admin_token of the config)"),
	}
}

// client resolves the server's URL and token: the flags first, then the
// environment, then the config file, which is read only when needed.
func (f *apiFlags) client(env Env) (*adminclient.Client, error) {
	base, token := strings.TrimSpace(*f.url), *f.token
	if token == "" {
		if v, ok := env.LookupEnv("SWITCHBOARD_ADMIN_TOKEN"); ok {
			token = v
		}
	}
	if base == "" || token == "" {
		cfg, err := config.Load(*f.config, env.LookupEnv)
		if err != nil {
			var ce config.Errors
			if errors.As(err, &ce) {
				ce.Sort()
				msgs := make([]string, len(ce))
				for i, e := range ce {
					msgs[i] = e.Error()
				}
				err = errors.New(strings.Join(msgs, "\n"))
			}
			return nil, fmt.Errorf("%s (give --url and --token to do without the config):\n%w", missing(base, token), err)
		}
		if base == "" {
			base = urlOf(cfg.Server.Addr)
		}
		if token == "" {
			token = string(cfg.Server.AdminToken)
		}
	}
	if token == "" {
		return nil, errors.New("no admin token: give --token, set SWITCHBOARD_ADMIN_TOKEN or server.admin_token")
	}
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &adminclient.Client{Base: base, Token: token, HTTP: &http.Client{Timeout: apiTimeout}}, nil
}

func missing(base, token string) string {
	switch {
	case base == "" && token == "":
		return "reading the config for the server's URL and admin token"
	case base == "":
		return "reading the config for the server's URL"
	}
	return "reading the config for the admin token"
}

// urlOf turns a listen address into a URL to reach it from this machine: a
// wildcard or empty host becomes 127.0.0.1.
func urlOf(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// parseInterleaved parses flags that may come before or after positional
// arguments ("show ID -o json"), and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
