package state

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestStateIsWrittenInUTC: times from a clock in another zone are stored
// in UTC, and read back as the same instants.
func TestStateIsWrittenInUTC(t *testing.T) {
	zone := time.FixedZone("UTC-7", -7*3600)
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, zone)
	st := State{Start: at, Watermark: at, SealedThrough: at, Recheck: map[string]time.Time{"2h0m0s": at},
		Junctions: []Junction{{At: at}}, Lost: []LostSpan{{From: at, To: at.Add(time.Hour), Noted: at}},
		LastRun: &Run{Started: at, Finished: at}, LastOK: at}
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "-07:00") || strings.Count(string(data), "2026-11-27T10:00:00Z") != 10 {
		t.Fatalf("state not in UTC: %s", data)
	}
	var back State
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Watermark.Equal(at) || !back.Lost[0].To.Equal(at.Add(time.Hour)) || st.Watermark.Location() != zone {
		t.Fatalf("round trip changed instants, or marshalling changed the original: %+v", back)
	}
}
