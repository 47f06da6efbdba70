package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxInitialBuffer caps the buffer sized from Content-Length before any byte
// arrives: the header is the sender's word, not yet backed by data.
const maxInitialBuffer = 1 << 20

// errTooLarge says the body is over the limit.
var errTooLarge = errors.New("body over the size limit")

// readBody reads all of r's body, at most limit bytes. A body over the limit
// gives errTooLarge, having read no more than limit+1 bytes (none at all when
// Content-Length already says so).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	size := int64(512)
	if r.ContentLength > 0 {
		// One byte more than announced, so that reading to EOF needs no
		// second allocation.
		size = min(r.ContentLength, maxInitialBuffer) + 1
	}
	b := make([]byte, 0, size)
	for {
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, errTooLarge
			}
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
	}
}

// Accepted content types, as GitHub sends them.
const (
	contentJSON = "application/json"
	contentForm = "application/x-www-form-urlencoded"
)

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
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, http.StatusBadRequest, "form body is not valid URL encoding"
		}
		if !form.Has("payload") {
			return nil, http.StatusBadRequest, "form field payload missing"
		}
		payload = []byte(form.Get("payload"))
	default:
		return nil, http.StatusUnsupportedMediaType, "unsupported content type: want application/json or application/x-www-form-urlencoded"
	}
	// Every webhook payload is a JSON object; anything else would only fail
	// later, where GitHub can no longer show the delivery as failed.
	what := "body"
	if media == contentForm {
		what = "form field payload"
	}
	if !json.Valid(payload) {
		return nil, http.StatusBadRequest, what + " is not valid JSON"
	}
	if !isObject(payload) {
		return nil, http.StatusBadRequest, what + " is not a JSON object"
	}
	return payload, 0, ""
}

// isObject reports whether valid JSON b is an object.
func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}
