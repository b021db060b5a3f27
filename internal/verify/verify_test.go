package verify

import (
	"context"
	"errors"
	"io"
	"path"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Partitions of the built archive (see buildArchive): sealed through 06:00
// on the 20th; 00:00 has parts p000–p003 (the last one a revision), the
// other hours p000–p002; the newest manifest is 05:00's.
var (
	sealedMulti = hour(20, 0)
	sealedMid   = hour(20, 2)
	sealedNext  = hour(20, 3)
	sealedHead  = hour(20, 5)
	unsealed    = hour(20, 12)
)

// TestVerify builds one archive with the job and verifies copies of it.
func TestVerify(t *testing.T) {
	built := builtArchive(t)
	t.Run("clean", func(t *testing.T) { testClean(t, archiveCopy(t, built)) })
	t.Run("faults", func(t *testing.T) { testFaults(t, built) })
	t.Run("range", func(t *testing.T) { testRange(t, built) })
	t.Run("without state", func(t *testing.T) { testWithoutState(t, built) })
	t.Run("storage failure", func(t *testing.T) { testStorageFailure(t, built) })
}

// testClean: a clean archive has no faults, and the report's counts equal
// those of a listing and of the standard library's gzip.
func testClean(t *testing.T, sink archive.Sink) {
	rep, err := Run(t.Context(), options(sink))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Faults) > 0 {
		t.Fatalf("clean archive has faults:\n%s", faultList(rep.Faults))
	}
	var blobs int
	var records, size int64
	dirs := map[string]bool{}
	err = sink.List(t.Context(), testLay.StreamDir(testJob.Tenant, testJob.Stream.Name), func(o archive.Object) error {
		blobs++
		size += o.Size
		dirs[path.Dir(o.Name)] = true
		if strings.HasSuffix(o.Name, ".jsonl.gz") {
			records += int64(len(readRecords(t, sink, o.Name)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Partitions != len(dirs) || rep.Blobs != blobs || rep.Records != records || rep.Bytes != size {
		t.Fatalf("report: %d partitions, %d blobs, %d records, %d bytes; want %d, %d, %d, %d",
			rep.Partitions, rep.Blobs, rep.Records, rep.Bytes, len(dirs), blobs, records, size)
	}
	if len(dirs) != 37 || records < 300 {
		t.Fatalf("the fixture changed: %d partitions, %d records", len(dirs), records)
	}
}

// testRange: only partitions overlapping [From, To) are checked, and the
// chain is followed into the manifest just before the range.
func testRange(t *testing.T, built string) {
	sink := archiveCopy(t, built)
	editManifest(t, sink, sealedMid, false)
	deletePart(t, sink, unsealed, 0)
	for _, tc := range []struct {
		name       string
		from, to   audit.Partition
		partitions int
		wants      []want
	}{
		{"before the damage", hour(19, 18), hour(20, 1), 8, nil},
		{"after the damage", hour(20, 13), hour(21, 6), 18, nil},
		{"next to the edited manifest", sealedNext, sealedHead, 3,
			[]want{{manifestName(sealedNext), "the chain is broken: previous_sha256"}}},
		{"over the deleted p000", unsealed, unsealed, 1,
			[]want{{partName(unsealed, 0, "jsonl"), "no p000"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(sink)
			// Times inside the first and last partitions select them whole.
			o.From, o.To = tc.from.Start.Add(30*time.Minute), tc.to.Start.Add(time.Minute)
			rep, err := Run(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			checkFaults(t, rep.Faults, tc.wants...)
			if rep.Partitions != tc.partitions {
				t.Fatalf("checked %d partitions, want %d", rep.Partitions, tc.partitions)
			}
		})
	}
}

// testWithoutState: with no state store, blobs are checked but coverage and
// the chain are not.
func testWithoutState(t *testing.T, built string) {
	sink := archiveCopy(t, built)
	remove(t, sink, manifestName(sealedMid))
	deletePart(t, sink, unsealed, 0)
	deletePart(t, sink, unsealed, 1)
	deletePart(t, sink, unsealed, 2)
	flipByte(t, sink, u2(unsealed))
	o := options(sink)
	o.State = nil
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkFaults(t, rep.Faults, want{u2(unsealed), "sha256 mismatch: metadata"})
}

func u2(p audit.Partition) string { return partName(p.Next(), 2, "jsonl") }

var errBroken = errors.New("connection reset")

// brokenSink fails reads of one blob halfway.
type brokenSink struct {
	archive.Sink
	name string
}

func (b brokenSink) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, err := b.Sink.Open(ctx, name)
	if err != nil || name != b.name {
		return rc, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, 20), iotest.ErrReader(errBroken)), rc}, nil
}

// testStorageFailure: a failing read is an error of Run, not a fault of the
// archive.
func testStorageFailure(t *testing.T, built string) {
	sink := archiveCopy(t, built)
	for _, name := range []string{partName(unsealed, 1, "jsonl"), partName(unsealed, 1, "csv"), manifestName(sealedMid)} {
		o := options(brokenSink{Sink: sink, name: name})
		rep, err := Run(t.Context(), o)
		if !errors.Is(err, errBroken) {
			t.Errorf("%s: Run = %v, want %v", name, err, errBroken)
		}
		if len(rep.Faults) > 0 {
			t.Errorf("%s: faults reported for a failing read:\n%s", name, faultList(rep.Faults))
		}
	}
}
