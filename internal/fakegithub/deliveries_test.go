package fakegithub

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestDeliveriesCursorAndRedelivery(t *testing.T) {
	f := newFixture(t, nil)
	jwt := "Bearer " + f.appJWT(t)
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for i, g := range []string{"a", "b", "c"} {
		f.s.AddDelivery(Delivery{GUID: g, DeliveredAt: base.Add(time.Duration(i) * time.Hour), Status: "OK", StatusCode: 200, Event: "push", InstallationID: 4})
	}
	type entry struct {
		ID             int64   `json:"id"`
		GUID           string  `json:"guid"`
		Redelivery     bool    `json:"redelivery"`
		Action         *string `json:"action"`
		InstallationID int64   `json:"installation_id"`
	}
	list := func(u string) ([]entry, string) {
		resp, b := do(t, "GET", u, jwt, nil)
		var es []entry
		if err := json.Unmarshal(b, &es); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", u, resp.StatusCode, b)
		}
		next := ""
		if l := parseLinks(t, resp.Header.Get("Link"))["next"]; l != nil {
			next = f.s.URL() + "app/hook/deliveries?" + l.Encode()
		}
		return es, next
	}
	var guids []string
	for u := f.s.URL() + "app/hook/deliveries?per_page=2"; u != ""; {
		var es []entry
		es, u = list(u)
		for _, e := range es {
			guids = append(guids, e.GUID)
			if e.InstallationID != 4 || e.Action != nil {
				t.Errorf("entry %+v", e)
			}
		}
	}
	if !slices.Equal(guids, []string{"c", "b", "a"}) {
		t.Fatalf("guids %v, want newest first", guids)
	}
	if resp, _ := do(t, "GET", f.s.URL()+"app/hook/deliveries?cursor=bogus", jwt, nil); resp.StatusCode != 422 {
		t.Errorf("bogus cursor: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", f.s.URL()+"app/hook/deliveries", "token ghs_x", nil); resp.StatusCode != 401 {
		t.Errorf("installation token on /app: %d, want 401", resp.StatusCode)
	}

	f.s.OnRedeliver(func(d Delivery) *Delivery {
		d.ID, d.Redelivery, d.DeliveredAt = 0, true, base.Add(10*time.Hour)
		return &d
	})
	a := f.s.Deliveries()[2]
	resp, b := do(t, "POST", f.s.URL()+"app/hook/deliveries/"+jsonNumber(a.ID)+"/attempts", jwt, nil)
	if resp.StatusCode != http.StatusAccepted || string(b) != "{}\n" {
		t.Fatalf("redeliver: %d %q", resp.StatusCode, b)
	}
	if resp, _ := do(t, "POST", f.s.URL()+"app/hook/deliveries/999/attempts", jwt, nil); resp.StatusCode != 404 {
		t.Errorf("unknown delivery: %d", resp.StatusCode)
	}
	rs := f.s.Redeliveries()
	if len(rs) != 1 || rs[0].GUID != "a" || rs[0].DeliveryID != a.ID {
		t.Errorf("redeliveries %+v", rs)
	}
	es, _ := list(f.s.URL() + "app/hook/deliveries")
	if len(es) != 4 || es[0].GUID != "a" || !es[0].Redelivery || es[0].ID == a.ID {
		t.Errorf("log after redelivery: %+v", es)
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
