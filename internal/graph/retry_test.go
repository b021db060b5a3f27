package graph

import (
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"2.128", 2128 * time.Millisecond, true},
		{" 3 ", 3 * time.Second, true},
		{"0", 0, true},
		{"0.5", 500 * time.Millisecond, true},
		{"", 0, false},
		{"soon", 0, false},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"86400", maxRetryAfter, true},
		{"Fri, 27 Nov 2026 03:00:07 GMT", 7 * time.Second, true},
		{"Fri, 27 Nov 2026 02:59:00 GMT", 0, true},             // in the past: go now
		{"Sat, 28 Nov 2026 03:00:00 GMT", maxRetryAfter, true}, // a day: capped
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		rnd     float64
		want    time.Duration
	}{
		{1, 0, 0},
		{1, 0.5, time.Second},
		{2, 0.5, 2 * time.Second},
		{3, 0.999, 7992 * time.Millisecond},
		{5, 1, 32 * time.Second},
		{6, 1, backoffCap},
		{40, 1, backoffCap},
		{40, 0.25, 15 * time.Second},
	}
	for _, tt := range tests {
		if got := backoff(tt.attempt, tt.rnd); got != tt.want {
			t.Errorf("backoff(%d, %v) = %s, want %s", tt.attempt, tt.rnd, got, tt.want)
		}
	}
}
