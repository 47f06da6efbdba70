package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/switchboard-dev/switchboard/internal/benchsubject"
)

// floorHandler is the HMAC-only floor (internal/benchsubject).
func floorHandler(secret string) http.Handler { return benchsubject.Floor(secret) }

// loopbackServer is an HTTP server on a loopback port, serving in the
// background until stop.
type loopbackServer struct {
	URL  string // http://127.0.0.1:PORT
	srv  *http.Server
	done chan error
}

// serveLoopback serves h on 127.0.0.1 on a free port, over real TCP.
func serveLoopback(h http.Handler) (*loopbackServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return serveListener(ln, h), nil
}

// serveListener serves h on ln in the background until stop.
func serveListener(ln net.Listener, h http.Handler) *loopbackServer {
	s := &loopbackServer{
		URL: "http://" + ln.Addr().String(),
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			MaxHeaderBytes:    64 << 10,
		},
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s
}

// stop shuts the server down, waiting for requests in flight.
func (s *loopbackServer) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
