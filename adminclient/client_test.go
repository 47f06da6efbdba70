package adminclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRelative(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		-2 * time.Second:  "just now",
		-42 * time.Second: "42s ago",
		-5 * time.Minute:  "5m ago",
		-3 * time.Hour:    "3h ago",
		-72 * time.Hour:   "3d ago",
		30 * time.Second:  "in 30s",
		time.Second:       "now",
	} {
		if got := Relative(now.Add(d), now); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

// TestErrors: an answer other than 2xx carries the server's message; no
// answer at all is one line naming the server; the token is in neither.
func TestErrors(t *testing.T) {
	const token = "secret-token-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"missing or wrong admin token"}`))
			return
		}
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte(`<html>proxy error</html>`))
	}))
	defer srv.Close()
	ctx := context.Background()

	_, err := (&Client{Base: srv.URL, Token: "wrong"}).List(ctx, Filter{})
	var ae *APIError
	if !errors.As(err, &ae) || err.Error() != "server answered 401: missing or wrong admin token" {
		t.Fatalf("wrong token: %v", err)
	}
	_, err = (&Client{Base: srv.URL, Token: token}).Get(ctx, "x")
	if err == nil || err.Error() != "server answered 502 Bad Gateway" || strings.Contains(err.Error(), token) {
		t.Fatalf("non-JSON error: %v", err)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + ln.Addr().String()
	ln.Close()
	_, err = (&Client{Base: down, Token: token}).Replay(ctx, "x")
	if err == nil || err.Error() != "cannot reach switchboard at "+down+": connection refused" {
		t.Fatalf("server down: %v", err)
	}
}

// TestHandlerTransport: the in-process transport gives the handler's
// answer as a response.
func TestHandlerTransport(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/deliveries" || r.URL.Query().Get("repo") != "a/b" || r.URL.Query().Get("limit") != "5" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"deliveries":[{"id":"d1","event":"push","received_at":"2026-12-06T13:22:01.123456789Z","status":"succeeded","rules_matched":2,"actions":{"succeeded":3}}],"next_cursor":"c"}`))
	})
	c := &Client{Base: "http://in-process", Token: "t", HTTP: &http.Client{Transport: HandlerTransport{Handler: h}}}
	p, err := c.List(context.Background(), Filter{Repo: "a/b", Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Deliveries) != 1 || p.Deliveries[0].ID != "d1" || p.Deliveries[0].Actions.Succeeded != 3 || p.NextCursor != "c" || len(p.Raw) == 0 {
		t.Fatalf("%+v", p)
	}
}
