package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

// TestCheckpointerCopiesTheWAL: the owner's connection does not checkpoint
// (wal_autocheckpoint is off), so only the checkpointer can copy committed
// pages into the database file; without it the file would stay at its
// empty size until the store closed, and the WAL would grow without end.
func TestCheckpointerCopiesTheWAL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ckpt.db")
	st, err := Open(ctx, Options{Driver: DriverSQLite, DSN: path, Logger: testLogger(t),
		Workers: workersFor(func(context.Context, *river.Job[ProcessDeliveryArgs]) error { return nil })})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Stop(ctx) }()
	before := fileSize(t, path)
	payload := bytes.Repeat([]byte("x"), 8<<10)
	const n = 200
	for i := 0; i < n; i++ {
		d := Delivery{ID: fmt.Sprintf("ckpt-%d", i), Event: "push", Payload: []byte(`{"pad":"` + string(payload) + `"}`)}
		if _, err := st.Enqueue(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	want := before + n*8<<10
	deadline := time.Now().Add(waitLimit)
	for fileSize(t, path) < want {
		if time.Now().After(deadline) {
			t.Fatalf("after %v the database file is %d bytes, want at least %d: the WAL was not checkpointed", waitLimit, fileSize(t, path), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
