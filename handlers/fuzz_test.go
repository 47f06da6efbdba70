package handlers

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// Signature modes of FuzzIntake.
const (
	fuzzSigAsGiven  = iota // the fuzzed header value
	fuzzSigValid           // signed with testSecret
	fuzzSigRotated         // signed with rotatedSecret
	fuzzSigSHA1Only        // only a valid X-Hub-Signature
	fuzzSigModes
)

// FuzzIntake sends random requests to intake and checks it never panics,
// never answers 5xx unless the store fails (then 503), never answers 2xx
// without a valid signature, always answers JSON, and never echoes a secret.
// It calls the router directly: fuzzing wants speed, and headers here may
// hold bytes no HTTP client would send.
func FuzzIntake(f *testing.F) {
	form := formBody(pushBody)
	f.Add("POST", "push", "d-1", "application/json", "", uint8(fuzzSigValid), false, []byte(pushBody))
	f.Add("POST", "ping", "d-2", "application/json", "", uint8(fuzzSigRotated), false, []byte(pingBody))
	f.Add("POST", "push", "d-3", "application/x-www-form-urlencoded", "", uint8(fuzzSigValid), false, []byte(form))
	f.Add("POST", "push", "d-4", "application/json", "", uint8(fuzzSigSHA1Only), false, []byte(pushBody))
	f.Add("POST", "push", "d-5", "application/json", "", uint8(fuzzSigValid), true, []byte(pushBody))
	f.Add("POST", "push", "d-6", "application/json",
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", uint8(fuzzSigAsGiven), false, []byte("Hello, World!"))
	f.Add("GET", "", "", "", "", uint8(fuzzSigAsGiven), false, []byte(nil))
	f.Add("POST", "push", "d-7", "text/plain; charset=", "sha256=zz", uint8(fuzzSigAsGiven), false, []byte("{}"))
	f.Add("POST", "push", "d-8", "application/json", "", uint8(fuzzSigValid), false, []byte(paddedJSON(5000)))

	const limit = 4096
	f.Fuzz(func(t *testing.T, method, event, delivery, contentType, sig string, mode uint8, storeFails bool, body []byte) {
		logger, _ := logtest.NewNullLogger()
		st := newFakeStore()
		if storeFails {
			st.fail(errStoreDown)
		}
		r, err := NewRouter(Options{
			Secrets:         func() []string { return []string{testSecret, rotatedSecret} },
			MaxPayloadBytes: limit,
			Logger:          logrus.NewEntry(logger),
			Registry:        prometheus.NewRegistry(),
		}, st)
		if err != nil {
			t.Fatal(err)
		}
		if !validMethod(method) {
			method = http.MethodPost // NewRequest panics on a bad method token
		}
		req := httptest.NewRequest(method, "/webhook", strings.NewReader(string(body)))
		req.Header = http.Header{}
		setRaw(req.Header, "X-GitHub-Event", event)
		setRaw(req.Header, "X-GitHub-Delivery", delivery)
		setRaw(req.Header, "Content-Type", contentType)
		switch mode % fuzzSigModes {
		case fuzzSigAsGiven:
			setRaw(req.Header, "X-Hub-Signature-256", sig)
		case fuzzSigValid:
			setRaw(req.Header, "X-Hub-Signature-256", sign(testSecret, body))
		case fuzzSigRotated:
			setRaw(req.Header, "X-Hub-Signature-256", sign(rotatedSecret, body))
		case fuzzSigSHA1Only:
			setRaw(req.Header, "X-Hub-Signature", signSHA1(testSecret, body))
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)

		status, out := rec.Code, rec.Body.String()
		if status >= 500 && !(storeFails && status == http.StatusServiceUnavailable) {
			t.Fatalf("status %d (store fails: %v): %s", status, storeFails, out)
		}
		if status/100 == 2 {
			if !signatureValid(req.Header.Values("X-Hub-Signature-256"), body) {
				t.Fatalf("status %d without a valid signature (header %q)", status, req.Header.Values("X-Hub-Signature-256"))
			}
			d, ok := st.get(delivery)
			if !ok || !json.Valid(d.Payload) {
				t.Fatalf("status %d but delivery %q stored: %v, payload valid JSON: %v", status, delivery, ok, json.Valid(d.Payload))
			}
		}
		if !json.Valid(rec.Body.Bytes()) || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("answer is not JSON: %q (%s)", out, rec.Header().Get("Content-Type"))
		}
		for _, s := range []string{testSecret, rotatedSecret, errStoreDown.Error()} {
			if strings.Contains(out, s) {
				t.Fatalf("answer shows %q: %s", s, out)
			}
		}
		for _, s := range []string{testSecret, rotatedSecret} {
			if want := strings.TrimPrefix(sign(s, body), "sha256="); strings.Contains(out, want) && !strings.Contains(delivery, want) {
				t.Fatalf("answer shows the expected signature: %s", out)
			}
		}
	})
}

// setRaw sets a header without canonical checks; "" means not sent.
func setRaw(h http.Header, k, v string) {
	if v != "" {
		h[http.CanonicalHeaderKey(k)] = []string{v}
	}
}

// validMethod reports whether m is an HTTP token httptest.NewRequest accepts.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// signatureValid is the fuzz oracle: exactly one sha256= header whose hex
// digest is the HMAC of body under a configured secret.
func signatureValid(values []string, body []byte) bool {
	if len(values) != 1 || !strings.HasPrefix(values[0], "sha256=") {
		return false
	}
	got, err := hex.DecodeString(values[0][len("sha256="):])
	if err != nil {
		return false
	}
	for _, s := range []string{testSecret, rotatedSecret} {
		want, _ := hex.DecodeString(strings.TrimPrefix(sign(s, body), "sha256="))
		if string(got) == string(want) {
			return true
		}
	}
	return false
}
