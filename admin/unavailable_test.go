package admin

import (
	"net/http"
	"testing"

	"github.com/switchboard-dev/switchboard/store"
)

// With the store gone (its database closed under the API), every endpoint
// answers 503 {"error":"store unavailable"} and says nothing of the cause.
func TestStoreUnavailable(t *testing.T) {
	eachDriver(t, func(t *testing.T, o store.Options) {
		e := newEnv(t, o)
		e.deliver(t, "d-1", "push", `{}`, 0)
		if err := e.st.Close(); err != nil {
			t.Fatal(err)
		}
		for name, r := range map[string]reply{
			"list":   get(t, e, "/api/v1/deliveries"),
			"show":   get(t, e, "/api/v1/deliveries/d-1"),
			"replay": post(t, e, "/api/v1/deliveries/d-1/replay"),
			"retry":  post(t, e, "/api/v1/actions/0123456789abcdef0123/retry"),
		} {
			if r.status != http.StatusServiceUnavailable || r.body != `{"error":"store unavailable"}` {
				t.Errorf("%s: %d %s, want 503 store unavailable", name, r.status, r.body)
			}
		}
	})
}
