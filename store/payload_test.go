package store

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// A payload is read back byte for byte whatever its size: whole up to
// payloadChunk, in pieces above it (exactly one chunk, one byte more, and
// several chunks with a short last piece), on both drivers. An empty
// payload comes back empty, not nil.
func TestDeliveryPayloadSizes(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := openStore(t, db.options(t))
		startStore(t, s)
		ctx := context.Background()
		for _, size := range []int{0, 1, payloadChunk, payloadChunk + 1, 3*payloadChunk + 12345} {
			p := make([]byte, size)
			for i := range p {
				p[i] = byte(i*7 + i/payloadChunk) // a chunk put in the wrong place shows
			}
			id := fmt.Sprintf("size-%d", size)
			if _, err := s.Enqueue(ctx, Delivery{ID: id, Event: "push", Payload: p}); err != nil {
				t.Fatal(err)
			}
			got, err := s.Delivery(ctx, id)
			if err != nil {
				t.Fatalf("%d bytes: %v", size, err)
			}
			if !bytes.Equal(got.Payload, p) || got.Payload == nil {
				t.Errorf("%d bytes: read back %d bytes, not the same (nil: %v)", size, len(got.Payload), got.Payload == nil)
			}
			if cap(got.Payload) != len(p) && size > payloadChunk {
				t.Errorf("%d bytes: buffer of capacity %d, want exactly the size", size, cap(got.Payload))
			}
		}
	})
}
