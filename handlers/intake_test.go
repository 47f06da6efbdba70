package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// paddedJSON is a JSON object of exactly n bytes (n >= 12).
func paddedJSON(n int) string {
	const head, tail = `{"pad":"`, `"}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

// formBody is a form-encoded delivery carrying payload.
func formBody(payload string) string {
	return url.Values{"payload": {payload}}.Encode()
}

// resign re-signs h after its body changed.
func resign(h hook) hook {
	h.sig256 = sign(testSecret, h.body)
	h.sig1 = signSHA1(testSecret, h.body)
	return h
}

// TestIntakeTable walks every row of DESIGN.md's intake table, and the order
// in which the checks apply, over real HTTP.
func TestIntakeTable(t *testing.T) {
	const limit = 1024
	exact := paddedJSON(limit)
	over := paddedJSON(limit + 1)
	form := formBody(pushBody)
	const formLimit = 4096
	formPayload := `{"pad":"` + strings.Repeat("<", 3001) + `"}`
	formOver := formBody(formPayload)
	if len(formPayload) != 3011 || len(formOver) != 9035 {
		t.Fatalf("form fixture: payload %d bytes, form %d bytes; want 3011 and 9035", len(formPayload), len(formOver))
	}

	tests := []struct {
		name   string
		opts   func(*Options)
		before func(t *testing.T, ts *testServer) // state before the request
		hook   hook
		status int
		body   string
		allow  string // wanted Allow header, if any
		stored string // wanted stored payload of the hook's delivery ("" = none stored)
	}{
		{
			name: "push stored and queued", hook: signedHook("push", "d-push", pushBody),
			status: 202, body: `{"delivery":"d-push","status":"queued"}`, stored: pushBody,
		},
		{
			name: "ping answered pong and stored", hook: signedHook("ping", "d-ping", pingBody),
			status: 200, body: `{"status":"pong"}`, stored: pingBody,
		},
		{
			name: "duplicate delivery", hook: signedHook("push", "d-dup", pushBody),
			before: func(t *testing.T, ts *testServer) {
				if r := ts.send(t, signedHook("push", "d-dup", pushBody)); r.status != 202 {
					t.Fatalf("first delivery: %d %s", r.status, r.body)
				}
			},
			status: 200, body: `{"delivery":"d-dup","status":"duplicate"}`, stored: pushBody,
		},
		{
			name: "duplicate ping", hook: signedHook("ping", "d-dup-ping", pingBody),
			before: func(t *testing.T, ts *testServer) {
				if r := ts.send(t, signedHook("ping", "d-dup-ping", pingBody)); r.status != 200 {
					t.Fatalf("first ping: %d %s", r.status, r.body)
				}
			},
			status: 200, body: `{"delivery":"d-dup-ping","status":"duplicate"}`, stored: pingBody,
		},
		{
			name: "rotated second secret accepted",
			hook: func() hook {
				h := signedHook("push", "d-rot", pushBody)
				h.sig256 = sign(rotatedSecret, h.body)
				return h
			}(),
			status: 202, body: `{"delivery":"d-rot","status":"queued"}`, stored: pushBody,
		},
		{
			name: "form encoded stores the JSON payload",
			hook: func() hook {
				h := signedHook("push", "d-form", "")
				h.contentType, h.body = "application/x-www-form-urlencoded", []byte(form)
				return resign(h)
			}(),
			status: 202, body: `{"delivery":"d-form","status":"queued"}`, stored: pushBody,
		},
		{
			name: "json with charset parameter",
			hook: func() hook {
				h := signedHook("push", "d-charset", pushBody)
				h.contentType = "application/json; charset=utf-8"
				return h
			}(),
			status: 202, body: `{"delivery":"d-charset","status":"queued"}`, stored: pushBody,
		},
		{
			name: "json content type in upper case",
			hook: func() hook {
				h := signedHook("push", "d-upper-ctype", pushBody)
				h.contentType = "APPLICATION/JSON"
				return h
			}(),
			status: 202, body: `{"delivery":"d-upper-ctype","status":"queued"}`, stored: pushBody,
		},
		{
			name: "json with a broken parameter",
			hook: func() hook {
				h := signedHook("push", "d-broken-param", pushBody)
				h.contentType = "application/json; charset"
				return h
			}(),
			status: 202, body: `{"delivery":"d-broken-param","status":"queued"}`, stored: pushBody,
		},
		{
			name:   "json with surrounding white space stored byte for byte",
			hook:   signedHook("push", "d-space", " \t\r\n"+pushBody+"\n\n "),
			status: 202, body: `{"delivery":"d-space","status":"queued"}`, stored: " \t\r\n" + pushBody + "\n\n ",
		},
		{
			name:   "json with duplicate keys stored byte for byte",
			hook:   signedHook("push", "d-dupkeys", `{"ref":"refs/heads/main","ref":"refs/heads/other","ref":1}`),
			status: 202, body: `{"delivery":"d-dupkeys","status":"queued"}`,
			stored: `{"ref":"refs/heads/main","ref":"refs/heads/other","ref":1}`,
		},
		{
			name:   "json with invalid UTF-8 in a string stored byte for byte",
			hook:   signedHook("push", "d-badutf8", "{\"ref\":\"refs/heads/\xff\xfe\xc3\"}"),
			status: 202, body: `{"delivery":"d-badutf8","status":"queued"}`,
			stored: "{\"ref\":\"refs/heads/\xff\xfe\xc3\"}",
		},
		{
			name: "event header sent twice: the first is used",
			hook: func() hook {
				h := signedHook("push", "d-event-twice", pushBody)
				h.extra = http.Header{"X-GitHub-Event": {"ping"}}
				return h
			}(),
			// "ping" would have been answered pong; the stored event is checked below.
			status: 202, body: `{"delivery":"d-event-twice","status":"queued"}`, stored: pushBody,
		},
		{
			name: "delivery header sent twice: the first is used",
			hook: func() hook {
				h := signedHook("push", "d-first", pushBody)
				h.extra = http.Header{"X-GitHub-Delivery": {"d-second"}}
				return h
			}(),
			// Stored under d-first only: the store gains one delivery.
			status: 202, body: `{"delivery":"d-first","status":"queued"}`, stored: pushBody,
		},
		{
			name: "form payload given twice: the first is used",
			hook: func() hook {
				h := signedHook("push", "d-form-twice", "")
				h.contentType, h.body = "application/x-www-form-urlencoded", []byte("payload={}&payload=nope")
				return resign(h)
			}(),
			status: 202, body: `{"delivery":"d-form-twice","status":"queued"}`, stored: `{}`,
		},
		{
			name: "form payload given twice: the first is used, even when it is not JSON",
			hook: func() hook {
				h := signedHook("push", "d-form-twice-bad", "")
				h.contentType, h.body = "application/x-www-form-urlencoded", []byte("payload=nope&payload={}")
				return resign(h)
			}(),
			status: 400, body: `{"error":"form field payload is not valid JSON"}`,
		},
		{
			// The limit applies to the body as sent: each "<" is 3 bytes
			// encoded, so a 3,011-byte payload is a 9,035-byte form.
			name: "form body over the limit though its payload is under it",
			opts: func(o *Options) { o.MaxPayloadBytes = formLimit },
			hook: func() hook {
				h := signedHook("push", "d-form-over", "")
				h.contentType, h.body = "application/x-www-form-urlencoded", []byte(formOver)
				return resign(h)
			}(),
			status: 413, body: `{"error":"payload too large"}`,
		},
		{
			name:   "body of exactly the limit accepted",
			opts:   func(o *Options) { o.MaxPayloadBytes = limit },
			hook:   signedHook("push", "d-exact", exact),
			status: 202, body: `{"delivery":"d-exact","status":"queued"}`, stored: exact,
		},
		{
			name: "body of exactly the limit accepted without a length",
			opts: func(o *Options) { o.MaxPayloadBytes = limit },
			hook: func() hook {
				h := signedHook("push", "d-exact-chunked", exact)
				h.chunked = true
				return h
			}(),
			status: 202, body: `{"delivery":"d-exact-chunked","status":"queued"}`, stored: exact,
		},
		{
			name:   "one byte over the limit",
			opts:   func(o *Options) { o.MaxPayloadBytes = limit },
			hook:   signedHook("push", "d-over", over),
			status: 413, body: `{"error":"payload too large"}`,
		},
		{
			name: "one byte over the limit without a length",
			opts: func(o *Options) { o.MaxPayloadBytes = limit },
			hook: func() hook {
				h := signedHook("push", "d-over-chunked", over)
				h.chunked = true
				return h
			}(),
			status: 413, body: `{"error":"payload too large"}`,
		},
		{
			name: "over the limit is refused before the signature is looked at",
			opts: func(o *Options) { o.MaxPayloadBytes = limit },
			hook: func() hook {
				h := signedHook("push", "d-over-unsigned", over)
				h.sig256 = ""
				return h
			}(),
			status: 413, body: `{"error":"payload too large"}`,
		},
		{
			name: "github test vector passes the signature but is not JSON",
			opts: func(o *Options) {
				o.Secrets = func() []string { return []string{"It's a Secret to Everybody"} }
			},
			hook: hook{
				method: "POST", path: "/webhook", event: "push", delivery: "d-vector",
				contentType: "application/json", body: []byte("Hello, World!"),
				sig256: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
			},
			status: 400, body: `{"error":"body is not valid JSON"}`,
		},
		{
			name: "github test vector with a wrong secret",
			hook: hook{
				method: "POST", path: "/webhook", event: "push", delivery: "d-vector-wrong",
				contentType: "application/json", body: []byte("Hello, World!"),
				sig256: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
			},
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "signature missing",
			hook: func() hook {
				h := signedHook("push", "d-nosig", pushBody)
				h.sig256, h.sig1 = "", ""
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "valid sha1 signature alone",
			hook: func() hook {
				h := signedHook("push", "d-sha1", pushBody)
				h.sig256 = ""
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "sha1 signature in the sha256 header",
			hook: func() hook {
				h := signedHook("push", "d-sha1-in-256", pushBody)
				h.sig256 = h.sig1
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "signature without prefix",
			hook: func() hook {
				h := signedHook("push", "d-noprefix", pushBody)
				h.sig256 = strings.TrimPrefix(h.sig256, "sha256=")
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "signature not hex",
			hook: func() hook {
				h := signedHook("push", "d-nothex", pushBody)
				h.sig256 = "sha256=" + strings.Repeat("zz", 32)
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "signature truncated",
			hook: func() hook {
				h := signedHook("push", "d-short", pushBody)
				h.sig256 = h.sig256[:len(h.sig256)-2]
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "signature in upper-case hex accepted",
			hook: func() hook {
				h := signedHook("push", "d-upper-hex", pushBody)
				h.sig256 = "sha256=" + strings.ToUpper(strings.TrimPrefix(h.sig256, "sha256="))
				return h
			}(),
			status: 202, body: `{"delivery":"d-upper-hex","status":"queued"}`, stored: pushBody,
		},
		{
			name: "signature with an upper-case prefix",
			hook: func() hook {
				h := signedHook("push", "d-upper-prefix", pushBody)
				h.sig256 = "SHA256=" + strings.TrimPrefix(h.sig256, "sha256=")
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "signature sent twice",
			hook: func() hook {
				h := signedHook("push", "d-twice", pushBody)
				h.extra = http.Header{"X-Hub-Signature-256": {sign(testSecret, h.body)}}
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "signature over another body",
			hook: func() hook {
				h := signedHook("push", "d-wrong", pushBody)
				h.sig256 = sign(testSecret, []byte(pingBody))
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "signature with an unknown secret",
			hook: func() hook {
				h := signedHook("push", "d-unknown-secret", pushBody)
				h.sig256 = sign("not-the-secret", h.body)
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "event header missing",
			hook: func() hook {
				h := signedHook("push", "d-noevent", pushBody)
				h.event = ""
				return h
			}(),
			status: 400, body: `{"error":"X-GitHub-Event header missing"}`,
		},
		{
			name: "delivery header missing",
			hook: func() hook {
				h := signedHook("push", "", pushBody)
				return h
			}(),
			status: 400, body: `{"error":"X-GitHub-Delivery header missing"}`,
		},
		{
			name:   "delivery header too long",
			hook:   signedHook("push", strings.Repeat("a", maxDeliveryLen+1), pushBody),
			status: 400, body: `{"error":"X-GitHub-Delivery header invalid"}`,
		},
		{
			name:   "delivery header of the longest length",
			hook:   signedHook("push", strings.Repeat("a", maxDeliveryLen), pushBody),
			status: 202, body: `{"delivery":"` + strings.Repeat("a", maxDeliveryLen) + `","status":"queued"}`,
			stored: pushBody,
		},
		{
			name:   "delivery header with a space",
			hook:   signedHook("push", "d 1", pushBody),
			status: 400, body: `{"error":"X-GitHub-Delivery header invalid"}`,
		},
		{
			name:   "delivery header not ASCII",
			hook:   signedHook("push", "d-\u00e9", pushBody),
			status: 400, body: `{"error":"X-GitHub-Delivery header invalid"}`,
		},
		{
			name:   "delivery header with quotes is escaped in the answer",
			hook:   signedHook("push", `d-"q"\`, pushBody),
			status: 202, body: `{"delivery":"d-\"q\"\\","status":"queued"}`, stored: pushBody,
		},
		{
			name:   "event header too long",
			hook:   signedHook(strings.Repeat("e", maxEventLen+1), "d-longevent", pushBody),
			status: 400, body: `{"error":"X-GitHub-Event header invalid"}`,
		},
		{
			name: "headers are checked before the signature",
			hook: func() hook {
				h := signedHook("push", "", pushBody)
				h.sig256 = "garbage"
				return h
			}(),
			status: 400, body: `{"error":"X-GitHub-Delivery header missing"}`,
		},
		{
			name: "content type text/plain",
			hook: func() hook {
				h := signedHook("push", "d-text", pushBody)
				h.contentType = "text/plain"
				return h
			}(),
			status: 415, body: `{"error":"unsupported content type: want application/json or application/x-www-form-urlencoded"}`,
		},
		{
			name: "content type missing",
			hook: func() hook {
				h := signedHook("push", "d-noctype", pushBody)
				h.contentType = ""
				return h
			}(),
			status: 415, body: `{"error":"unsupported content type: want application/json or application/x-www-form-urlencoded"}`,
		},
		{
			name: "content type is checked after the signature",
			hook: func() hook {
				h := signedHook("push", "d-text-unsigned", pushBody)
				h.contentType, h.sig256 = "text/plain", sign("wrong", h.body)
				return h
			}(),
			status: 401, body: `{"error":"signature missing, malformed or wrong (X-Hub-Signature-256 required)"}`,
		},
		{
			name: "content type is checked before the JSON",
			hook: func() hook {
				h := signedHook("push", "d-text-notjson", "not json")
				h.contentType = "text/plain"
				return h
			}(),
			status: 415, body: `{"error":"unsupported content type: want application/json or application/x-www-form-urlencoded"}`,
		},
		{
			name:   "body not valid JSON",
			hook:   signedHook("push", "d-badjson", `{"ref":`),
			status: 400, body: `{"error":"body is not valid JSON"}`,
		},
		{
			name:   "body valid JSON but not an object",
			hook:   signedHook("push", "d-array", `[1,2]`),
			status: 400, body: `{"error":"body is not a JSON object"}`,
		},
		{
			name:   "empty body",
			hook:   signedHook("push", "d-empty", ``),
			status: 400, body: `{"error":"body is not valid JSON"}`,
		},
		{
			name: "form without payload field",
			hook: func() hook {
				h := signedHook("push", "d-form-nopayload", "")
				h.contentType, h.body = "application/x-www-form-urlencoded", []byte("other=1")
				return resign(h)
			}(),
			status: 400, body: `{"error":"form field payload missing"}`,
		},
		{
			name: "form payload not JSON",
			hook: func() hook {
				h := signedHook("push", "d-form-badjson", "")
				h.contentType, h.body = "application/x-www-form-urlencoded", []byte(formBody("{nope"))
				return resign(h)
			}(),
			status: 400, body: `{"error":"form field payload is not valid JSON"}`,
		},
		{
			name: "form with broken escapes",
			hook: func() hook {
				h := signedHook("push", "d-form-escape", "")
				h.contentType, h.body = "application/x-www-form-urlencoded", []byte("payload=%zz")
				return resign(h)
			}(),
			status: 400, body: `{"error":"form body is not valid URL encoding"}`,
		},
		{
			name: "GET on the webhook path",
			hook: func() hook {
				h := signedHook("push", "d-get", "")
				h.method = http.MethodGet
				return h
			}(),
			status: 405, body: `{"error":"method not allowed"}`, allow: "POST",
		},
		{
			name: "PUT with a valid delivery",
			hook: func() hook {
				h := signedHook("push", "d-put", pushBody)
				h.method = http.MethodPut
				return h
			}(),
			status: 405, body: `{"error":"method not allowed"}`, allow: "POST",
		},
		{
			name:   "store write fails",
			hook:   signedHook("push", "d-storefail", pushBody),
			before: func(t *testing.T, ts *testServer) { ts.store.fail(errStoreDown) },
			status: 503, body: `{"error":"store unavailable"}`,
		},
		{
			name: "configured webhook path",
			opts: func(o *Options) { o.WebhookPath = "/github/events" },
			hook: func() hook {
				h := signedHook("push", "d-path", pushBody)
				h.path = "/github/events"
				return h
			}(),
			status: 202, body: `{"delivery":"d-path","status":"queued"}`, stored: pushBody,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.opts)
			if tt.before != nil {
				tt.before(t, ts)
			}
			before := ts.store.count()
			got := ts.send(t, tt.hook)
			if got.status != tt.status || got.body != tt.body {
				t.Errorf("got %d %s\nwant %d %s", got.status, got.body, tt.status, tt.body)
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if a := got.header.Get("Allow"); a != tt.allow {
				t.Errorf("Allow = %q, want %q", a, tt.allow)
			}
			assertNoSecrets(t, got, tt.hook.body)

			d, ok := ts.store.get(tt.hook.delivery)
			switch {
			case tt.stored == "" && ok && tt.before == nil:
				t.Errorf("delivery %q stored, want nothing stored", tt.hook.delivery)
			case tt.stored != "" && !ok:
				t.Errorf("delivery %q not stored", tt.hook.delivery)
			case tt.stored != "":
				if string(d.Payload) != tt.stored {
					t.Errorf("stored payload %q, want %q", d.Payload, tt.stored)
				}
				if d.Event != tt.hook.event || !d.ReceivedAt.Equal(testNow) {
					t.Errorf("stored event %q at %v, want %q at %v", d.Event, d.ReceivedAt, tt.hook.event, testNow)
				}
			}
			// Only a new 2xx delivery adds to the store: a duplicate adds nothing.
			wantAdded := 0
			if tt.status/100 == 2 && !strings.Contains(tt.body, `"duplicate"`) {
				wantAdded = 1
			}
			if added := ts.store.count() - before; added != wantAdded {
				t.Errorf("store gained %d deliveries, want %d", added, wantAdded)
			}
		})
	}
}

// assertNoSecrets fails when a response carries a secret, or the signature
// intake expected for body under either secret.
func assertNoSecrets(t *testing.T, r response, body []byte) {
	t.Helper()
	all := r.body
	for k, vs := range r.header {
		all += "\n" + k + ": " + strings.Join(vs, ",")
	}
	for _, s := range []string{testSecret, rotatedSecret, "It's a Secret to Everybody"} {
		expected := strings.TrimPrefix(sign(s, body), "sha256=")
		if strings.Contains(all, s) || strings.Contains(all, expected) {
			t.Errorf("response leaks a secret or the expected signature: %s", all)
		}
	}
	if strings.Contains(all, errStoreDown.Error()) {
		t.Errorf("response leaks the store's error: %s", all)
	}
}
