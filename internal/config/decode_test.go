package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"90s", 90 * time.Second, true},
		{"15m", 15 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"2d30m", 48*time.Hour + 30*time.Minute, true},
		{"-1d", -24 * time.Hour, true},
		{" 2h ", 2 * time.Hour, true},
		{"", 0, false},
		{"d", 0, false},
		{"10", 0, false},
		{"1d-2h", 0, false},
		{"1dd", 0, false},
		{"1e3d", 0, false},
		{"0x1d", 0, false},
		{"Infd", 0, false},
		{"1h1d", 0, false},
		{"999999999d", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0:                          "0s",
		90 * time.Second:           "1m30s",
		15 * time.Minute:           "15m",
		2 * time.Hour:              "2h",
		90 * time.Minute:           "1h30m",
		24 * time.Hour:             "1d",
		120 * time.Hour:            "5d",
		36*time.Hour + time.Second: "1d12h0m1s",
		500 * time.Millisecond:     "500ms",
		-2 * time.Hour:             "-2h",
	}
	for in, want := range tests {
		if got := FormatDuration(in); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", in, got, want)
		}
		if back, err := ParseDuration(FormatDuration(in)); err != nil || back != in {
			t.Errorf("ParseDuration(FormatDuration(%v)) = %v, %v", in, back, err)
		}
	}
}

func TestParseStart(t *testing.T) {
	tests := []struct {
		in   string
		want Start
		ok   bool
	}{
		{"retention", Start{Retention: true}, true},
		{"2026-11-01T00:00:00Z", Start{At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}, true},
		{"2026-11-01T02:00:00+02:00", Start{At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}, true},
		{"72h", Start{Back: 72 * time.Hour}, true},
		{"7d", Start{Back: 7 * 24 * time.Hour}, true},
		{"0s", Start{}, false},
		{"-1h", Start{}, false},
		{"2026-11-01", Start{}, false},
		{"Retention", Start{}, false},
	}
	for _, tt := range tests {
		got, err := ParseStart(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseStart(%q) = %+v, %v; want %+v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && got.String() != tt.in && tt.in != "2026-11-01T02:00:00+02:00" && tt.in != "72h" {
			t.Errorf("Start.String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"client_id", "client_secret", "client_secret_env", "method", "token_file"}
	tests := map[string]string{
		"clientid":         "client_id",
		"Client_ID":        "client_id",
		"client-secret":    "client_secret",
		"clientsecret_env": "client_secret_env",
		"methd":            "method",
		"password":         "",
		"x":                "",
	}
	for in, want := range tests {
		if got := suggest(in, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
