package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// floorMaxBody is the floor server's body limit, GitHub's own cap.
const floorMaxBody = 25 << 20

// floorHandler is the floor: the least a webhook server must do. It reads
// the body under a limit, checks the SHA-256 HMAC and answers 202, storing
// nothing, so that intake's cost shows as a ratio to it.
func floorHandler(secret string) http.Handler {
	key := []byte(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, floorMaxBody))
		if err != nil {
			http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
			return
		}
		sig, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
		got, err := hex.DecodeString(sig)
		mac := hmac.New(sha256.New, key)
		mac.Write(body)
		if !ok || err != nil || !hmac.Equal(got, mac.Sum(nil)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		b, _ := json.Marshal(map[string]string{"delivery": r.Header.Get("X-GitHub-Delivery"), "status": "queued"})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(b)
	})
}

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
