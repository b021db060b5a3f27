package export

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/partstest"
)

// TestSecurityExportHasNoNameUntilComplete: while an export to a file is
// written, the output's folder shows nothing new (on Linux the file has no
// name until it is complete), so a crash, kill -9 included, leaves no half
// export of personal data; the export then replaces the file, owner-only.
func TestSecurityExportHasNoNameUntilComplete(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux writes a file without a name")
	}
	sink, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const tenantID = "72f988bf-0000-0000-0000-000000000000"
	first := audit.Hour.Of(time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC))
	for _, p := range []audit.Partition{first, first.Next()} {
		partstest.Put(t, sink, testLay, layout.Part{Tenant: "contoso", Stream: audit.InteractiveSignIns.Name, Partition: p, Format: "jsonl", Gzip: true},
			tenantID, 500, func(i int) audit.Record {
				return mkrec(fmt.Sprintf("r%03d", i), p.Start.Add(time.Duration(i)*time.Second), 0, "adele.vance@contoso.com")
			})
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "signins.jsonl")
	if err := os.WriteFile(path, []byte("an earlier export\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var listed [][]string
	o := Options{Sink: openingSink{Sink: sink, open: func() {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		listed = append(listed, names)
	}}, Layout: testLay, Tenant: "contoso", TenantID: tenantID, Stream: audit.InteractiveSignIns, Partition: audit.Hour,
		From: first.Start, To: first.Next().End(), Format: "jsonl"}
	stats, err := ToFile(t.Context(), o, path)
	if err != nil || stats.Records != 1000 {
		t.Fatalf("export: %d records, %v", stats.Records, err)
	}
	if len(listed) < 2 {
		t.Fatalf("looked %d times", len(listed))
	}
	for _, names := range listed {
		if !slices.Equal(names, []string{"signins.jsonl"}) {
			t.Errorf("while the export was written, its folder listed %v", names)
		}
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the export: %v, %v", info, err)
	}
	// What the file holds is the export, whole.
	var want bytes.Buffer
	if _, err := Run(t.Context(), o, &want); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want.Bytes()) || strings.Count(string(got), "\n") != 1000 {
		t.Errorf("the file holds %d bytes (%v), want the export's %d bytes of 1000 records", len(got), err, want.Len())
	}
}

// openingSink calls open before every blob is opened, while the export
// is being written.
type openingSink struct {
	archive.Sink
	open func()
}

func (s openingSink) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	s.open()
	return s.Sink.Open(ctx, name)
}
