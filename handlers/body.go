package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/switchboard-dev/switchboard/budget"
)

// chunkSize is the step in which a body of unknown length is read and
// charged to the budget.
const chunkSize = 64 << 10

// Errors of readBody besides the reader's own.
var (
	// errTooLarge says the body is over the limit.
	errTooLarge = errors.New("body over the size limit")
	// errBusy says the budget for bodies in flight had no room within the
	// wait.
	errBusy = errors.New("no room in the budget for bodies in flight")
)

// readBody reads all of r's body, at most limit bytes, holding room in
// bodies for every byte it holds; the caller releases the grant, also on
// error. A body over the limit gives errTooLarge, having read no more than
// limit+1 bytes (none at all when Content-Length already says so). When the
// budget has no room within wait it gives errBusy: with a Content-Length,
// before reading any of the body; without one, as soon as the next chunk
// finds no room.
//
// A body with a Content-Length is read into one buffer of exactly that size,
// charged before the first byte is read (a large one with room for the
// store's copies too). One without is read in chunks of
// chunkSize, each charged as it is allocated, then joined into one buffer of
// the exact size (charged too) and the chunks given back.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, bodies *budget.Budget, wait time.Duration) ([]byte, *budget.Grant, error) {
	if r.ContentLength > limit {
		return nil, nil, errTooLarge
	}
	grant := bodies.NewGrant()
	grow := func(n int64) error {
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		defer cancel()
		if grant.Grow(ctx, n) != nil {
			return errBusy
		}
		return nil
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength >= 0 {
		// A large body also takes room for the store's copies of it
		// (StoreCopies) up front, at most the general share, so that it
		// is not read only to find no room when it is to be stored.
		ask := r.ContentLength
		if ask > SmallBodyBytes {
			ask = bodies.Capped(ask * (1 + StoreCopies))
		}
		if err := grow(ask); err != nil {
			return nil, grant, err
		}
		b := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(body, b); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, grant, readError(err)
		}
		return b, grant, nil
	}

	var chunks [][]byte
	total := 0
	for {
		if err := grow(chunkSize); err != nil {
			return nil, grant, err
		}
		c := make([]byte, chunkSize)
		n, err := fill(body, c)
		chunks = append(chunks, c[:n])
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, grant, readError(err)
		}
	}
	if err := grow(int64(total)); err != nil {
		return nil, grant, err
	}
	b := make([]byte, 0, total)
	for _, c := range chunks {
		b = append(b, c...)
	}
	grant.Shrink(int64(len(chunks)) * chunkSize)
	return b, grant, nil
}

// fill reads into c until it is full or the reader fails; io.EOF is
// returned as it is, so that the end of a body is told from a body cut short
// (io.ReadFull would make both io.ErrUnexpectedEOF).
func fill(r io.Reader, c []byte) (int, error) {
	n := 0
	for n < len(c) {
		m, err := r.Read(c[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// readError maps the error of reading a body: over the limit is errTooLarge.
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	return err
}

// Accepted content types, as GitHub sends them.
const (
	contentJSON = "application/json"
	contentForm = "application/x-www-form-urlencoded"
)

// isForm reports whether contentType is a form, whose decoding copies the
// body.
func isForm(contentType string) bool {
	media, _, err := mime.ParseMediaType(contentType)
	return (err == nil || errors.Is(err, mime.ErrInvalidMediaParameter)) && media == contentForm
}

// payloadOf returns the JSON payload of a verified body: the body itself for
// JSON, the `payload` field of a form. On failure it returns the status
// (415 or 400) and the message for the client.
func payloadOf(contentType string, body []byte) ([]byte, int, string) {
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		// ErrInvalidMediaParameter still yields the media type; parameters
		// are not used.
		return nil, http.StatusUnsupportedMediaType, "unsupported content type: want application/json or application/x-www-form-urlencoded"
	}
	var payload []byte
	switch media {
	case contentJSON:
		payload = body
	case contentForm:
		p, found, err := formField(body, "payload")
		if err != nil {
			return nil, http.StatusBadRequest, "form body is not valid URL encoding"
		}
		if !found {
			return nil, http.StatusBadRequest, "form field payload missing"
		}
		payload = p
	default:
		return nil, http.StatusUnsupportedMediaType, "unsupported content type: want application/json or application/x-www-form-urlencoded"
	}
	// Every webhook payload is a JSON object; anything else would only fail
	// later, where GitHub can no longer show the delivery as failed.
	what := "body"
	if media == contentForm {
		what = "form field payload"
	}
	if !validJSON(payload) {
		return nil, http.StatusBadRequest, what + " is not valid JSON"
	}
	if !isObject(payload) {
		return nil, http.StatusBadRequest, what + " is not a JSON object"
	}
	return payload, 0, ""
}

// formField returns the first value of field in the URL-encoded form body,
// decoded, as url.ParseQuery would (and failing where it fails: a bad
// escape or a semicolon anywhere in the form), but copying only that value:
// ParseQuery would copy the whole body into a string and every value out of
// it, and these bodies may be 25 MB.
func formField(body []byte, field string) ([]byte, bool, error) {
	var out []byte
	found := false
	for len(body) > 0 {
		pair := body
		if i := bytes.IndexByte(body, '&'); i >= 0 {
			pair, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		if bytes.IndexByte(pair, ';') >= 0 {
			return nil, false, errors.New("invalid semicolon separator in query")
		}
		if len(pair) == 0 {
			continue
		}
		key, value, _ := bytes.Cut(pair, []byte("="))
		k, err := unescapeForm(key)
		if err != nil {
			return nil, false, err
		}
		if string(k) != field || found {
			if _, err := unescapeForm(value); err != nil {
				return nil, false, err
			}
			continue
		}
		if out, err = unescapeForm(value); err != nil {
			return nil, false, err
		}
		found = true
	}
	return out, found, nil
}

// unescapeForm decodes one key or value of a form: %XX escapes and + for a
// space, as url.QueryUnescape does, into a new slice no longer than s.
func unescapeForm(s []byte) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) || !isHex(string(s[i+1:i+3])) {
				return nil, errors.New("invalid URL escape")
			}
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case '+':
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// isObject reports whether valid JSON b is an object.
func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// validJSON reports whether b is valid JSON by encoding/json.Valid's rules
// (invalid UTF-8 in strings and repeated names are let by, as GitHub's
// payloads are not refused for them). It checks with jsontext, which does
// the same work five times as fast on every delivery (5.4 against 28 µs
// for GitHub's 8.9 KB push example, BenchmarkValidJSON; FuzzValidJSON
// holds the two to one answer).
func validJSON(b []byte) bool {
	return jsontext.Value(b).IsValid(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
}
