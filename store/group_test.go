package store

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestGroupedWritesFailAlone: writes that share a transaction commit
// together, and one that fails fails alone: the others' rows are there,
// its own is not, and its caller gets its error.
func TestGroupedWritesFailAlone(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, newSQLiteDB(t).options(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.q.pool().exec(ctx, `CREATE TABLE grouped_test (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.grouped(ctx, func(ctx context.Context, tx querier, _ txJobs) error {
				if _, err := tx.exec(ctx, `INSERT INTO grouped_test (n) VALUES ($1)`, i); err != nil {
					return err
				}
				if i == 7 {
					return boom
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if want := error(nil); i == 7 {
			if !errors.Is(err, boom) {
				t.Errorf("write 7: %v, want boom", err)
			}
		} else if err != want {
			t.Errorf("write %d: %v", i, err)
		}
	}
	var count, seven int
	if err := st.q.pool().queryRow(ctx, `SELECT count(*), count(CASE WHEN n = 7 THEN 1 END) FROM grouped_test`).Scan(&count, &seven); err != nil {
		t.Fatal(err)
	}
	if count != n-1 || seven != 0 {
		t.Errorf("%d rows with %d for the failed write; want %d and 0", count, seven, n-1)
	}
}
