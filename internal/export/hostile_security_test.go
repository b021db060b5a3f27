package export

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/partstest"
)

// TestSecurityHostilePartFailsExport: a part whose 200,000 records share
// one (time, id), with metadata that matches its content (records, sha256),
// so only the bound on versions of one record catches it. The export fails
// naming the blob, as for any damaged part, whether it writes the latest
// version or all of them, and stops reading the part at the bound.
func TestSecurityHostilePartFailsExport(t *testing.T) {
	const copies = 200_000
	at := time.Date(2026, 11, 20, 3, 17, 0, 0, time.UTC)
	same := mkrec("same", at, 0, strings.Repeat("x", 200))
	head := slices.Clip(same.Raw[:len(same.Raw)-2]) // up to the note's closing `"}`
	for _, tc := range []struct {
		name string
		rec  func(i int) audit.Record
	}{
		{"one content", func(int) audit.Record { return same }},
		{"distinct contents", func(i int) audit.Record {
			raw := strconv.AppendInt(append(head, ' '), int64(i), 10)
			return audit.Record{ID: same.ID, Time: at, Raw: append(raw, '"', '}')}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink, err := local.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			p := audit.Hour.Of(at)
			name := partstest.Put(t, sink, testLay, layout.Part{Tenant: "contoso", Stream: audit.InteractiveSignIns.Name, Partition: p, Format: "jsonl", Gzip: true},
				"72f988bf-0000-0000-0000-000000000000", copies, tc.rec)
			for _, all := range []bool{false, true} {
				o := Options{Sink: sink, Layout: testLay, Tenant: "contoso", TenantID: "72f988bf-0000-0000-0000-000000000000",
					Stream: audit.InteractiveSignIns, Partition: audit.Hour, From: p.Start, To: p.End(), Format: "jsonl", AllVersions: all}
				started := time.Now()
				stats, err := Run(t.Context(), o, io.Discard)
				t.Logf("all versions %v: %s, read %d records: %v", all, time.Since(started).Round(time.Millisecond), stats.Read, err)
				var de *read.DamageError
				if !errors.As(err, &de) || de.Blob != name || !strings.Contains(err.Error(), read.ErrTooManyVersions.Error()) {
					t.Fatalf("all versions %v: export = %v; want damage of %s: %v", all, err, name, read.ErrTooManyVersions)
				}
				if stats.Read > read.MaxVersions {
					t.Errorf("all versions %v: read %d records of the part, past the bound", all, stats.Read)
				}
			}
		})
	}
}
