package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestRecordOutcomeUpserts(t *testing.T) {
	eachDriver(t, func(t *testing.T, db testDB) {
		s := openStore(t, db.options(t))
		ctx := context.Background()
		at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

		writes := []Outcome{
			{Delivery: "d1", Rule: "build-main", Index: 0, Kind: "jenkins", State: OutcomeRunning, Attempts: 1, UpdatedAt: at},
			{Delivery: "d1", Rule: "build-main", Index: 0, Kind: "jenkins", State: OutcomeRetrying, Attempts: 1, LastError: "503 Service Unavailable", UpdatedAt: at.Add(time.Second)},
			{Delivery: "d1", Rule: "build-main", Index: 0, Kind: "jenkins", State: OutcomeSucceeded, Attempts: 2,
				Detail: "https://jenkins.example.com/queue/item/7/", UpdatedAt: at.Add(2 * time.Second)},
			{Delivery: "d1", Rule: "build-main", Index: 1, Kind: "slack", State: OutcomeFailed, Attempts: 20, LastError: "channel_not_found", UpdatedAt: at},
			{Delivery: "d1", Rule: "announce", Index: 0, Kind: "log", State: OutcomePending, UpdatedAt: at},
			{Delivery: "d0", Rule: "z", Index: 0, Kind: "log", State: OutcomeSucceeded, Attempts: 1, UpdatedAt: at},
		}
		for _, o := range writes {
			if err := s.RecordOutcome(ctx, o); err != nil {
				t.Fatalf("RecordOutcome(%+v): %v", o, err)
			}
		}

		got, err := s.Outcome(ctx, "d1", "build-main", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, writes[2]) {
			t.Errorf("Outcome = %+v, want the last write %+v", *got, writes[2])
		}
		if _, err := s.Outcome(ctx, "d1", "build-main", 9); !errors.Is(err, ErrNotFound) {
			t.Errorf("Outcome(missing) error = %v, want ErrNotFound", err)
		}

		list, err := s.Outcomes(ctx, "d1")
		if err != nil {
			t.Fatal(err)
		}
		want := []Outcome{writes[4], writes[2], writes[3]} // by rule, then index
		if len(list) != len(want) {
			t.Fatalf("Outcomes(d1) = %d rows, want %d: %+v", len(list), len(want), list)
		}
		for i := range want {
			if !reflect.DeepEqual(list[i], want[i]) {
				t.Errorf("Outcomes(d1)[%d] = %+v, want %+v", i, list[i], want[i])
			}
		}
		all, err := s.Outcomes(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 || all[0].Delivery != "d0" {
			t.Errorf("Outcomes(\"\") = %+v, want 4 rows starting with d0", all)
		}
	})
}

func TestRecordOutcomeRejectsBadInput(t *testing.T) {
	s := openStore(t, newSQLiteDB(t).options(t))
	tests := []struct {
		name string
		o    Outcome
	}{
		{name: "unknown state", o: Outcome{Delivery: "d", Rule: "r", State: "done"}},
		{name: "no delivery", o: Outcome{Rule: "r", State: OutcomePending}},
		{name: "no rule", o: Outcome{Delivery: "d", State: OutcomePending}},
		{name: "negative index", o: Outcome{Delivery: "d", Rule: "r", Index: -1, State: OutcomePending}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.RecordOutcome(context.Background(), tt.o)
			if err == nil || errors.Is(err, ErrUnavailable) {
				t.Fatalf("RecordOutcome = %v, want a validation error", err)
			}
		})
	}
}
