package store

import (
	"context"
	"sync"
	"testing"
)

func TestOpenTwiceKeepsData(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		s := openStore(t, db.options(t))
		startStore(t, s)
		if _, err := s.Enqueue(ctx, Delivery{ID: "kept", Event: "push"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s2 := openStore(t, db.options(t))
		if has, err := s2.HasDelivery(ctx, "kept"); err != nil || !has {
			t.Fatalf("after reopening, HasDelivery = %v, %v", has, err)
		}
	})
}

// TestOpenReplicasTogether starts several stores on one empty Postgres
// schema at once, as replicas do after a deploy: migrations must apply once
// and every Open must succeed.
func TestOpenReplicasTogether(t *testing.T) {
	db := newPostgresDB(t)
	const replicas = 4
	var wg sync.WaitGroup
	errs := make(chan error, replicas)
	stores := make(chan *Store, replicas)
	for range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), db.options(t))
			if err != nil {
				errs <- err
				return
			}
			stores <- s
		}()
	}
	wg.Wait()
	close(errs)
	close(stores)
	for s := range stores {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
	for err := range errs {
		t.Errorf("Open: %v", err)
	}
}
