// Package adminclient talks to Switchboard's admin API (/api/v1): the JSON
// types of its answers and a client for them. The command line uses it over
// the network; the web page (package ui) uses it in-process, through the API's
// own handler, so both show exactly what the API says.
package adminclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxAnswer bounds an answer read from the server: a delivery's payload is at
// most 25 MiB, and the rest of a detail answer is small beside it.
const maxAnswer = 64 << 20

// Client calls the admin API of one server.
type Client struct {
	// Base is the server's root URL, such as http://127.0.0.1:3000.
	Base string
	// Token is sent as the Bearer token; it never appears in an error.
	Token string
	// HTTP does the requests; http.DefaultClient when nil.
	HTTP *http.Client
}

// APIError is an answer other than 2xx, with the server's message.
type APIError struct {
	Status  int
	Message string
}

// Error implements error.
func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("server answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("server answered %d: %s", e.Status, e.Message)
}

// UnreachableError is a request that got no HTTP answer at all.
type UnreachableError struct {
	Base string
	Err  error
}

// Error implements error. It is one line, naming the server and the cause.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach switchboard at %s: %s", e.Base, rootCause(e.Err))
}

// Unwrap returns the cause.
func (e *UnreachableError) Unwrap() error { return e.Err }

// rootCause drops the url.Error and net.OpError prefixes that repeat the
// address, keeping the operating system's words ("connection refused").
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// List returns one page of deliveries, newest first.
func (c *Client) List(ctx context.Context, f Filter) (*Page, error) {
	q := url.Values{}
	for k, v := range map[string]string{"repo": f.Repo, "event": f.Event, "status": f.Status, "q": f.Q, "cursor": f.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	path := "/api/v1/deliveries"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var p Page
	if err := c.do(ctx, http.MethodGet, path, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Get returns one delivery with its rules and actions.
func (c *Client) Get(ctx context.Context, id string) (*Detail, error) {
	var d Detail
	if err := c.do(ctx, http.MethodGet, "/api/v1/deliveries/"+url.PathEscape(id), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Replay runs the current rules on a stored delivery as a new delivery.
func (c *Client) Replay(ctx context.Context, id string) (*Replayed, error) {
	var r Replayed
	if err := c.do(ctx, http.MethodPost, "/api/v1/deliveries/"+url.PathEscape(id)+"/replay", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Retry runs a failed or cancelled action again. The answer's body is
// returned as the server wrote it.
func (c *Client) Retry(ctx context.Context, id string) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodPost, "/api/v1/actions/"+url.PathEscape(id)+"/retry", &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

func (c *Client) do(ctx context.Context, method, path string, into any) error {
	raw, err := c.call(ctx, method, path)
	if err != nil {
		return err
	}
	switch v := into.(type) {
	case *json.RawMessage:
		*v = raw
		return nil
	case *Page:
		v.Raw = raw
	case *Detail:
		v.Raw = raw
	case *Replayed:
		v.Raw = raw
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("%s %s: answer is not the expected JSON: %w", method, path, err)
	}
	return nil
}

// call makes one request and returns the body of a 2xx answer.
func (c *Client) call(ctx context.Context, method, path string) (json.RawMessage, error) {
	base := strings.TrimRight(c.Base, "/")
	req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("bad server URL %q: %w", c.Base, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &UnreachableError{Base: base, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, &UnreachableError{Base: base, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &e) // a body that is not JSON leaves the status alone
		return nil, &APIError{Status: resp.StatusCode, Message: e.Error}
	}
	return bytes.TrimSpace(body), nil
}

// Compile-time checks.
var (
	_ error             = (*APIError)(nil)
	_ error             = (*UnreachableError)(nil)
	_ http.RoundTripper = HandlerTransport{}
)

// HandlerTransport is an http.RoundTripper that serves each request with an
// http.Handler in-process: the web page calls the API this way, with no
// socket and no second listener.
type HandlerTransport struct{ Handler http.Handler }

// RoundTrip implements http.RoundTripper.
func (t HandlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	t.Handler.ServeHTTP(rec, req)
	return &http.Response{
		Status:        strconv.Itoa(rec.status) + " " + http.StatusText(rec.status),
		StatusCode:    rec.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(&rec.body),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// recorder is the ResponseWriter HandlerTransport hands the handler.
type recorder struct {
	header      http.Header
	body        bytes.Buffer
	status      int
	wroteHeader bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
