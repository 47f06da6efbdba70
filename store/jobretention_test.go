package store

import (
	"testing"
	"time"
)

func TestJobRetentionSetsRiverCleaner(t *testing.T) {
	tests := []struct {
		name      string
		retention time.Duration
		want      time.Duration // 0: River's own defaults
	}{
		{name: "unset keeps River's defaults", retention: 0, want: 0},
		{name: "seven days", retention: 168 * time.Hour, want: 168 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Options{DSN: "x.db", JobRetention: tt.retention}.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			c := o.riverConfig()
			got := []time.Duration{c.CompletedJobRetentionPeriod, c.CancelledJobRetentionPeriod, c.DiscardedJobRetentionPeriod}
			for i, d := range got {
				if d != tt.want {
					t.Errorf("retention period %d = %s, want %s", i, d, tt.want)
				}
			}
		})
	}
}
