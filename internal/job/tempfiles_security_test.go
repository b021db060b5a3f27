package job

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// TestSecurityTempFilesHaveNoName: the records a run holds on disk (sorted
// runs spilled by the sorter, parts encoded before their upload) are in
// files without a name, so no other user can open them and a crash leaves
// none behind. The temporary directory is looked at while every kind of
// file is open: after each page (spills) and during each upload (parts).
func TestSecurityTempFilesHaveNoName(t *testing.T) {
	h := newHarness(t)
	h.set.Formats = []string{"jsonl", "csv"}
	for i := range 270 { // the last settled: 30 minutes before now
		at := t0.Add(-5*time.Hour + time.Duration(i)*time.Minute)
		h.src.add(version{rec: mkrec(fmt.Sprintf("r%03d", i), at, "adele.vance@contoso.com 203.0.113.7")})
	}
	tmp := t.TempDir()
	var (
		mu     sync.Mutex
		looks  map[string]int
		listed []string
	)
	look := func(when string) {
		entries, err := os.ReadDir(tmp)
		mu.Lock()
		defer mu.Unlock()
		if looks == nil {
			looks = map[string]int{}
		}
		looks[when]++
		for _, e := range entries {
			listed = append(listed, when+": "+e.Name())
		}
		if err != nil {
			listed = append(listed, err.Error())
		}
	}
	j := New(h.set, Deps{
		Source: sourceFunc(func(ctx context.Context, st audit.Stream, w audit.Window, filter string, page func(audit.Page) error) error {
			return h.src.Fetch(ctx, st, w, filter, func(p audit.Page) error {
				err := page(p)
				look("after a page")
				return err
			})
		}),
		Sink: lookingSink{Sink: h.sink, look: func() { look("during an upload") }}, State: h.store, Clock: h.clock.Now,
		TempDir: tmp, SortMemory: 4 << 10, Version: "test",
	})
	res, err := j.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if looks["after a page"] == 0 || looks["during an upload"] == 0 || res.Records != 270 {
		t.Fatalf("looked %v times, archived %d records", looks, res.Records)
	}
	if len(listed) > 0 {
		t.Errorf("files with a name in the temporary directory:\n%v", listed)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

type sourceFunc func(ctx context.Context, st audit.Stream, w audit.Window, filter string, page func(audit.Page) error) error

func (f sourceFunc) Fetch(ctx context.Context, st audit.Stream, w audit.Window, filter string, page func(audit.Page) error) error {
	return f(ctx, st, w, filter, page)
}

// lookingSink calls look at every upload, while the part's files are open.
type lookingSink struct {
	archive.Sink
	look func()
}

func (s lookingSink) Put(ctx context.Context, name string, r io.ReadSeeker, size int64, meta map[string]string) error {
	s.look()
	return s.Sink.Put(ctx, name, r, size, meta)
}
