package store

import (
	"context"
	"testing"

	"github.com/riverqueue/river"
)

type uniqueTestArgs struct {
	Key string `json:"key"`
}

func (uniqueTestArgs) Kind() string { return "test_unique" }

func (uniqueTestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

func TestInsertJobsUnique(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := openStore(t, db.options(t))
		ctx := context.Background()
		job := func(key string) river.InsertManyParams { return river.InsertManyParams{Args: uniqueTestArgs{Key: key}} }

		steps := []struct {
			name string
			jobs []river.InsertManyParams
			want int
		}{
			{name: "first insert", jobs: []river.InsertManyParams{job("a")}, want: 1},
			{name: "same job again", jobs: []river.InsertManyParams{job("a")}, want: 0},
			{name: "repeat inside one call", jobs: []river.InsertManyParams{job("b"), job("b"), job("c"), job("a")}, want: 2},
			{name: "nothing", jobs: nil, want: 0},
		}
		for _, st := range steps {
			n, err := s.InsertJobs(ctx, st.jobs)
			if err != nil {
				t.Fatalf("%s: InsertJobs: %v", st.name, err)
			}
			if n != st.want {
				t.Errorf("%s: inserted %d, want %d", st.name, n, st.want)
			}
		}
		if n := len(jobsOfKind(t, s, uniqueTestArgs{}.Kind())); n != 3 {
			t.Errorf("%d stored jobs, want 3 (a, b, c)", n)
		}
	})
}

func TestSplitRepeats(t *testing.T) {
	j := func(key string) river.InsertManyParams { return river.InsertManyParams{Args: uniqueTestArgs{Key: key}} }
	tests := []struct {
		name string
		jobs []river.InsertManyParams
		want []int // chunk lengths
	}{
		{name: "distinct", jobs: []river.InsertManyParams{j("a"), j("b")}, want: []int{2}},
		{name: "repeat starts a new chunk", jobs: []river.InsertManyParams{j("a"), j("b"), j("a"), j("c")}, want: []int{2, 2}},
		{name: "three of a kind", jobs: []river.InsertManyParams{j("a"), j("a"), j("a")}, want: []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks, err := splitRepeats(tt.jobs)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, c := range chunks {
				got = append(got, len(c))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("chunks %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("chunks %v, want %v", got, tt.want)
				}
			}
		})
	}
}
