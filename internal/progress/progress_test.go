package progress

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/fakeclock"
)

func TestBarDrawsRateLimitedAndErases(t *testing.T) {
	var out bytes.Buffer
	c := fakeclock.New(time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC))
	b := newBar(&out, "verify", true, c.Now)
	b.SetTotal(720)
	want := "\rverify: 0/720 partitions, 0 B, 0 s"
	if out.String() != want {
		t.Fatalf("first draw %q, want %q", out.String(), want)
	}
	// Within 100 ms of the last draw nothing is drawn, but everything counts.
	c.Advance(50 * time.Millisecond)
	b.Add(311)
	b.AddBytes(1_200_000_000)
	if out.String() != want {
		t.Fatalf("redrawn within the interval: %q", out.String())
	}
	c.Advance(40 * time.Second)
	b.Add(1)
	want += "\rverify: 312/720 partitions, 1.2 GB, 40 s"
	if out.String() != want {
		t.Fatalf("after 40 s: %q, want %q", out.String(), want)
	}
	// A shorter line overwrites the rest of the longer one with spaces.
	b.SetUnit("x")
	c.Advance(time.Second)
	b.SetTotal(0)
	line := "verify: 312 x, 1.2 GB, 41 s"
	prev := len("verify: 312/720 partitions, 1.2 GB, 40 s")
	want += "\r" + line + strings.Repeat(" ", prev-len(line))
	if out.String() != want {
		t.Fatalf("shorter line: %q, want %q", out.String(), want)
	}
	b.Done()
	want += "\r" + strings.Repeat(" ", len(line)) + "\r"
	if out.String() != want {
		t.Fatalf("after Done: %q, want %q", out.String(), want)
	}
	c.Advance(time.Minute)
	b.Add(1)
	if out.String() != want {
		t.Fatalf("drawn after Done: %q", out.String())
	}
}

func TestBarShowsNoMoreThanTotal(t *testing.T) {
	var out bytes.Buffer
	c := fakeclock.New(time.Unix(0, 0))
	b := newBar(&out, "export", true, c.Now)
	b.SetTotal(2)
	c.Advance(time.Second)
	b.Add(3)
	if !strings.HasSuffix(out.String(), "\rexport: 3/3 partitions, 0 B, 1 s") {
		t.Fatalf("estimate exceeded: %q", out.String())
	}
}

// TestNotATerminal: a buffer, a file and a pipe never get a progress line.
func TestNotATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var buf bytes.Buffer
	for _, out := range []interface {
		Write([]byte) (int, error)
	}{&buf, f, w} {
		b := New(out, "verify")
		b.SetTotal(3)
		b.Add(1)
		b.AddBytes(10)
		b.Done()
	}
	if buf.Len() != 0 {
		t.Fatalf("buffer got %q", buf.String())
	}
	if fi, _ := f.Stat(); fi.Size() != 0 {
		t.Fatalf("file got %d bytes", fi.Size())
	}
}

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{999, "999 B"},
		{1000, "1.0 kB"},
		{1_234_567, "1.2 MB"},
		{1_200_000_000, "1.2 GB"},
		{5_500_000_000_000, "5.5 TB"},
		{7_000_000_000_000_000, "7.0 PB"},
		{7_000_000_000_000_000_000, "7000.0 PB"},
	} {
		if got := FormatBytes(tc.n); got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
