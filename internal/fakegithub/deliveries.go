package fakegithub

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Delivery is one entry of the App's webhook delivery log: one attempt to
// deliver an event (GUID) to the App's webhook URL.
type Delivery struct {
	ID int64
	// GUID is the event's X-GitHub-Delivery, the same on every redelivery.
	GUID        string
	DeliveredAt time.Time
	Redelivery  bool
	Duration    float64
	// Status is "OK" for a 2xx answer, else a description such as
	// "Invalid HTTP Response: 503".
	Status     string
	StatusCode int
	Event      string
	Action     string
	// InstallationID and RepositoryID are left out of the JSON when 0.
	InstallationID int64
	RepositoryID   int64
}

// Redelivery is one redelivery the App asked for.
type Redelivery struct {
	DeliveryID int64
	GUID       string
	Time       time.Time
}

// AddDelivery adds an entry to the delivery log; an ID of 0 gets the next
// free one. It returns the entry as stored.
func (s *Server) AddDelivery(d Delivery) Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.ID == 0 {
		for _, e := range s.deliveries {
			d.ID = max(d.ID, e.ID)
		}
		d.ID++
	}
	s.deliveries = append(s.deliveries, d)
	return d
}

// Deliveries returns the delivery log as GitHub lists it: newest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedDeliveriesLocked()
}

func (s *Server) sortedDeliveriesLocked() []Delivery {
	out := slices.Clone(s.deliveries)
	slices.SortStableFunc(out, func(a, b Delivery) int {
		if c := b.DeliveredAt.Compare(a.DeliveredAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

// Redeliveries returns the redeliveries asked for so far, in order.
func (s *Server) Redeliveries() []Redelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.redeliveries)
}

// OnRedeliver sets what a redelivery adds to the delivery log: f gets the
// entry being redelivered and returns the new attempt's entry (ID 0 for the
// next free one), or nil to add nothing. By default nothing is added, as if
// GitHub had not tried yet.
func (s *Server) OnRedeliver(f func(Delivery) *Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRedeliver = f
}

const (
	docListDeliveries = "https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook"
	docRedeliver      = "https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook"
	cursorPrefix      = "v1_"
)

// listDeliveries answers GET /app/hook/deliveries, newest first, paged by
// per_page and an opaque cursor that a Link rel="next" carries. The cursor
// names the first entry of the next page, so entries added meanwhile do not
// shift the pages. (An unknown cursor is answered 422 here; GitHub does not
// document that case.)
// https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, _ caller) {
	size := perPage(r)
	s.mu.Lock()
	all := s.sortedDeliveriesLocked()
	s.mu.Unlock()
	from := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(c, cursorPrefix), 10, 64)
		from = slices.IndexFunc(all, func(d Delivery) bool { return d.ID == id })
		if !strings.HasPrefix(c, cursorPrefix) || err != nil || from < 0 {
			writeValidation(w, docListDeliveries, fieldError{Resource: "Hook", Field: "cursor", Code: "invalid"})
			return
		}
	}
	to := min(from+size, len(all))
	if to < len(all) {
		q := url.Values{"per_page": {strconv.Itoa(size)}, "cursor": {fmt.Sprintf("%s%d", cursorPrefix, all[to].ID)}}
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, selfURL(r, q)))
	}
	out := make([]map[string]any, 0, to-from)
	for _, d := range all[from:to] {
		o := map[string]any{
			"id": d.ID, "guid": d.GUID, "delivered_at": d.DeliveredAt.UTC().Format(time.RFC3339),
			"redelivery": d.Redelivery, "duration": d.Duration, "status": d.Status, "status_code": d.StatusCode,
			"event": d.Event, "action": nullable(d.Action), "installation_id": nil, "repository_id": nil,
		}
		if d.InstallationID != 0 {
			o["installation_id"] = d.InstallationID
		}
		if d.RepositoryID != 0 {
			o["repository_id"] = d.RepositoryID
		}
		out = append(out, o)
	}
	writeJSON(w, http.StatusOK, out)
}

// redeliver answers POST /app/hook/deliveries/{delivery_id}/attempts with
// 202, or 404 for an unknown delivery.
// https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook
func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, _ caller) {
	id, err := strconv.ParseInt(r.PathValue("delivery_id"), 10, 64)
	s.mu.Lock()
	i := slices.IndexFunc(s.deliveries, func(d Delivery) bool { return d.ID == id })
	if err != nil || i < 0 {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found", docRedeliver)
		return
	}
	d := s.deliveries[i]
	s.redeliveries = append(s.redeliveries, Redelivery{DeliveryID: d.ID, GUID: d.GUID, Time: s.opts.Now()})
	f := s.onRedeliver
	s.mu.Unlock()
	if f != nil {
		if next := f(d); next != nil {
			s.AddDelivery(*next)
		}
	}
	writeJSON(w, http.StatusAccepted, map[string]any{})
}
