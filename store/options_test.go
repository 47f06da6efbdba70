package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
)

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		name  string
		in    Options
		check func(t *testing.T, o Options)
	}{
		{
			name: "sqlite defaults",
			in:   Options{Driver: DriverSQLite, DSN: "x.db"},
			check: func(t *testing.T, o Options) {
				if o.MaxWorkers != 20 || o.JobTimeout != 30*time.Second || o.RescueAfter != time.Minute ||
					o.FetchCooldown != time.Millisecond || o.FetchPollInterval != 50*time.Millisecond ||
					o.BatchMaxWait != time.Millisecond || o.BatchMaxSize != 64 {
					t.Errorf("defaults = %+v", o)
				}
			},
		},
		{
			name: "postgres fetch defaults",
			in:   Options{Driver: DriverPostgres, DSN: "postgres://h/db"},
			check: func(t *testing.T, o Options) {
				if o.FetchCooldown != defaultPostgresFetchCooldown || o.FetchPollInterval != defaultPostgresFetchPollInterval {
					t.Errorf("fetch = %s/%s", o.FetchCooldown, o.FetchPollInterval)
				}
			},
		},
		{
			name: "job timeout clamped below rescue",
			in:   Options{DSN: "x.db", JobTimeout: 5 * time.Minute, RescueAfter: time.Minute},
			check: func(t *testing.T, o Options) {
				if o.JobTimeout >= o.RescueAfter {
					t.Errorf("JobTimeout %s not below RescueAfter %s", o.JobTimeout, o.RescueAfter)
				}
			},
		},
		{
			name: "batch size capped",
			in:   Options{DSN: "x.db", BatchMaxSize: 100000},
			check: func(t *testing.T, o Options) {
				if o.BatchMaxSize != maxBatchSize {
					t.Errorf("BatchMaxSize = %d", o.BatchMaxSize)
				}
			},
		},
		{
			name: "negative batch wait means no wait",
			in:   Options{DSN: "x.db", BatchMaxWait: -1},
			check: func(t *testing.T, o Options) {
				if o.BatchMaxWait != 0 {
					t.Errorf("BatchMaxWait = %s", o.BatchMaxWait)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := tt.in.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

func TestOpenRejectsBadOptionsWithoutEchoingDSN(t *testing.T) {
	const secret = "s3cr3t-pw"
	tests := []struct {
		name string
		o    Options
	}{
		{name: "unknown driver", o: Options{Driver: "mysql", DSN: "u:" + secret + "@/db"}},
		{name: "empty DSN", o: Options{Driver: DriverSQLite}},
		{name: "schema on sqlite", o: Options{Driver: DriverSQLite, DSN: "x.db", Schema: "s"}},
		{name: "bad schema name", o: Options{Driver: DriverPostgres, DSN: "postgres://h/db", Schema: "a;drop"}},
		{name: "unparsable postgres DSN", o: Options{Driver: DriverPostgres, DSN: "postgres://u:" + secret + "@[::1/db"}},
		{name: "unreachable postgres", o: Options{Driver: DriverPostgres, DSN: "postgres://u:" + secret + "@127.0.0.1:1/db?connect_timeout=5"}},
		{name: "periodic jobs without workers", o: Options{Driver: DriverSQLite, DSN: "x.db", PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) { return ProcessDeliveryArgs{}, nil }, nil),
		}}},
		{name: "sqlite path with query", o: Options{Driver: DriverSQLite, DSN: "x.db?_pragma=" + secret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.o)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error echoes the secret: %v", err)
			}
		})
	}
}
