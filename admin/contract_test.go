package admin

import (
	"slices"
	"testing"

	"github.com/switchboard-dev/switchboard/adminclient"
	"github.com/switchboard-dev/switchboard/store"
)

// The statuses the CLI and the page offer are the ones the API filters on.
func TestClientStatusesAreTheServers(t *testing.T) {
	if got, want := adminclient.Statuses(), store.Statuses(); !slices.Equal(got, want) {
		t.Errorf("adminclient.Statuses() = %v, the API's are %v", got, want)
	}
}
