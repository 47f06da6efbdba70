package cli

import (
	"flag"
	"fmt"

	"github.com/switchboard-dev/switchboard/adminclient"
)

// flagGiven says whether the command line set flag name.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

// storedDelivery fetches delivery id from a running server's admin API, for
// simulate to run the local config on real traffic. A failure is printed,
// and its exit code returned.
func storedDelivery(env Env, api *apiFlags, id string) (*adminclient.Detail, int) {
	cl, err := api.client(env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchboard simulate: %v\n", err)
		return nil, 1
	}
	ctx, cancel := ctxTimeout()
	defer cancel()
	d, err := cl.Get(ctx, id)
	if err != nil {
		fmt.Fprintf(env.Stderr, "switchboard simulate: delivery %s: %v\n", id, err)
		return nil, 1
	}
	if len(d.Payload) == 0 || string(d.Payload) == "null" {
		fmt.Fprintf(env.Stderr, "switchboard simulate: delivery %s has no stored payload\n", id)
		return nil, 1
	}
	return d, 0
}
