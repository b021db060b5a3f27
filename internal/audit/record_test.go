package audit

import (
	"errors"
	"testing"
	"time"
)

func TestParseRecord(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantID  string
		want    string
		wantErr error
	}{
		{"plain", `{"id":"a","createdDateTime":"2026-11-27T03:00:00Z"}`, "a", "2026-11-27T03:00:00Z", nil},
		{"seven digits", `{"createdDateTime":"2020-03-13T19:15:41.6195833Z","id":"b"}`, "b", "2020-03-13T19:15:41.6195833Z", nil},
		{"no zone is UTC", `{"id":"c","createdDateTime":"2026-11-27T03:00:00.5"}`, "c", "2026-11-27T03:00:00.5Z", nil},
		{"offset", `{"id":"d","createdDateTime":"2026-11-27T04:00:00+01:00"}`, "d", "2026-11-27T03:00:00Z", nil},
		{"nested time ignored", `{"id":"e","x":{"createdDateTime":"1999-01-01T00:00:00Z"},"createdDateTime":"2026-11-27T03:00:00Z"}`, "e", "2026-11-27T03:00:00Z", nil},
		{"strings with braces", `{"a":"}{\"","id":"f","b":["]",{"c":"}"}],"createdDateTime":"2026-11-27T03:00:00Z"}`, "f", "2026-11-27T03:00:00Z", nil},
		{"escaped id", `{"id":"g\u00e9\"","createdDateTime":"2026-11-27T03:00:00Z"}`, "gé\"", "2026-11-27T03:00:00Z", nil},
		{"last key wins", `{"id":"x","id":"y","createdDateTime":"2026-11-27T03:00:00Z"}`, "y", "2026-11-27T03:00:00Z", nil},
		{"later null clears id", `{"id":"x","id":null,"createdDateTime":"2026-11-27T03:00:00Z"}`, "", "2026-11-27T03:00:00Z", nil},
		{"whitespace", " {\n \"id\" : \"h\" ,\n \"createdDateTime\" : \"2026-11-27T03:00:00Z\" } ", "h", "2026-11-27T03:00:00Z", nil},
		{"numbers and literals", `{"n":-1.5e3,"t":true,"z":null,"id":"i","createdDateTime":"2026-11-27T03:00:00Z"}`, "i", "2026-11-27T03:00:00Z", nil},
		{"missing time", `{"id":"j"}`, "j", "", ErrNoTime},
		{"bad time", `{"id":"k","createdDateTime":"yesterday"}`, "k", "", ErrNoTime},
		{"time not a string", `{"id":"l","createdDateTime":12}`, "l", "", ErrNoTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := ParseRecord([]byte(tt.raw), "createdDateTime")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := time.Parse(time.RFC3339Nano, tt.want)
			if rec.ID != tt.wantID || !rec.Time.Equal(want) || rec.Time.Location() != time.UTC {
				t.Fatalf("got id %q time %v, want %q %v", rec.ID, rec.Time, tt.wantID, want)
			}
		})
	}
}

func TestParseRecordRejectsNonObjects(t *testing.T) {
	for _, raw := range []string{``, `[]`, `"x"`, `{"id":"a"`, `{"id":"a,"createdDateTime":"x"}`, `{"id" "a"}`} {
		if _, err := ParseRecord([]byte(raw), "createdDateTime"); err == nil {
			t.Errorf("ParseRecord(%q) succeeded", raw)
		}
	}
}

func TestCompareOrdersByInstantThenID(t *testing.T) {
	t1, _ := ParseTime("2026-11-27T03:00:00.1Z")
	t2, _ := ParseTime("2026-11-27T03:00:00.0999999Z") // earlier, though it sorts later as a string
	a := Record{ID: "b", Time: t1}
	b := Record{ID: "a", Time: t2}
	if Compare(&a, &b) <= 0 {
		t.Fatal("records must compare by instant, not by string")
	}
	c := Record{ID: "a", Time: t1}
	if Compare(&c, &a) >= 0 {
		t.Fatal("equal times must order by id")
	}
}

func TestPartitions(t *testing.T) {
	from, _ := ParseTime("2026-11-27T22:30:00Z")
	to, _ := ParseTime("2026-11-28T01:00:00Z")
	ps := Hour.Partitions(Window{From: from, To: to})
	var labels []string
	for _, p := range ps {
		labels = append(labels, p.Label()+" "+p.Dir())
	}
	want := []string{"20261127T22Z y=2026/m=11/d=27/h=22", "20261127T23Z y=2026/m=11/d=27/h=23", "20261128T00Z y=2026/m=11/d=28/h=00"}
	if len(labels) != len(want) {
		t.Fatalf("got %v, want %v", labels, want)
	}
	for i := range want {
		if labels[i] != want[i] {
			t.Fatalf("got %v, want %v", labels, want)
		}
	}
	d := Day.Of(from)
	if d.Label() != "20261127Z" || d.Dir() != "y=2026/m=11/d=27" || !d.End().Equal(d.Start.Add(24*time.Hour)) {
		t.Fatalf("day partition %v %v %v", d.Label(), d.Dir(), d.End())
	}
	if !Hour.Ceil(from).Equal(from.Add(30*time.Minute)) || !Hour.Ceil(to).Equal(to) {
		t.Fatal("Ceil")
	}
}
