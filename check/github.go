package check

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-dev/switchboard/config"
	"github.com/switchboard-dev/switchboard/githubapp"
)

const githubName = "github app"

// gitHub checks the App's credentials with GET /app, which GitHub answers
// only to a JWT signed with the App's key and naming its ID, and reads the
// App's installation count: an App installed nowhere gets no events.
// https://docs.github.com/rest/apps/apps#get-the-authenticated-app
func gitHub(ctx context.Context, o Options) Result {
	g := o.Config.GitHub
	key := []byte(g.PrivateKey)
	if len(key) == 0 && g.PrivateKeyFile != "" {
		b, err := os.ReadFile(g.PrivateKeyFile)
		if err != nil {
			return Result{githubName, Fail, "github.private_key_file: " + err.Error()}
		}
		key = b
	}
	if g.AppID == 0 || len(key) == 0 {
		if needs := rulesNeedingApp(o); len(needs) > 0 {
			verb := " needs it"
			if len(needs) > 1 {
				verb = " need it"
			}
			return Result{githubName, Fail, "not configured (github.app_id and a private key), but " + strings.Join(needs, ", ") + verb}
		}
		return Result{githubName, Skip, "not configured (github.app_id and a private key); no rule needs it"}
	}
	c, err := githubapp.New(githubapp.Options{
		AppID: g.AppID, PrivateKey: key, BaseURL: g.APIURL, HTTPClient: o.HTTPClient,
		Logger: o.Logger, Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		return Result{githubName, Fail, err.Error()}
	}
	app, _, err := c.App().Apps.Get(ctx, "")
	if err != nil {
		switch status := githubapp.StatusCode(err); {
		case status == 401:
			return Result{githubName, Fail, fmt.Sprintf("GET /app: HTTP 401 (%s): GitHub refused the App's JWT; github.app_id (%d) or the private key is wrong, or the App was deleted", githubapp.Message(err), g.AppID)}
		case status != 0:
			return Result{githubName, Fail, fmt.Sprintf("GET /app: HTTP %d (%s)", status, githubapp.Message(err))}
		default:
			return Result{githubName, Fail, "GET /app at " + g.APIURL + ": " + transportError(err)}
		}
	}
	name := fmt.Sprintf("%s (ID %d)", app.GetSlug(), app.GetID())
	n := app.GetInstallationsCount()
	if n == 0 {
		return Result{githubName, Fail, name + " has no installation: nothing sends it events; install it from " + app.GetHTMLURL() + "/installations/new"}
	}
	return Result{githubName, OK, name + ", " + plural(n, "installation", "installations")}
}

// rulesNeedingApp names the rules whose actions act as the App.
func rulesNeedingApp(o Options) []string {
	kinds := map[string]map[string]bool{}
	for _, r := range o.Config.Rules {
		for _, a := range r.Do {
			kind := a.Kind()
			switch {
			case kind == "comment" || kind == "label" || kind == "status":
			case kind == "jenkins" && a.Jenkins.Report != config.ReportNone:
				kind = "jenkins report"
			default:
				continue
			}
			if kinds[r.Name] == nil {
				kinds[r.Name] = map[string]bool{}
			}
			kinds[r.Name][kind] = true
		}
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(kinds)) {
		var ks []string
		for k := range kinds[name] {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		out = append(out, "rule "+name+" ("+strings.Join(ks, ", ")+")")
	}
	return out
}
