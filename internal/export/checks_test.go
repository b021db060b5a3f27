package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/archivetest"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// The archive of buildArchive starts at 18:00 on the 19th; its watermark is
// 02:05 on the 21st; partitions up to 01:00 on the 20th are sealed, 00:00
// with parts p000–p003, the later hours (up to 23:00 on the 20th) with
// p000–p002.
var (
	hour        = func(day, h int) audit.Partition { return audit.Hour.Of(time.Date(2026, 11, day, h, 0, 0, 0, time.UTC)) }
	archStart   = time.Date(2026, 11, 19, 18, 0, 0, 0, time.UTC)
	watermark   = time.Date(2026, 11, 21, 2, 5, 0, 0, time.UTC)
	sealedMulti = hour(20, 0)
	unsealed    = hour(20, 12)
)

// builtArchive archives the source with the real job once into a folder of
// t (the parent of the subtests that copy it) and returns the folder.
func builtArchive(t *testing.T) string {
	t.Helper()
	return buildArchive(t, "jsonl", "csv").(*local.Sink).Root()
}

// archiveCopy returns a sink on a fresh copy of the archive in dir.
func archiveCopy(t *testing.T, dir string) *local.Sink {
	t.Helper()
	cp := t.TempDir()
	if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	sink, err := local.New(cp)
	if err != nil {
		t.Fatal(err)
	}
	return sink
}

func partName(p audit.Partition, n int, f string) string {
	return testLay.PartName(layout.Part{Tenant: "contoso", Stream: audit.InteractiveSignIns.Name, Partition: p, Number: n, Format: f, Gzip: true})
}

func manifestName(p audit.Partition) string {
	return testLay.ManifestName("contoso", audit.InteractiveSignIns.Name, p)
}

func sinkPath(s *local.Sink, name string) string {
	return filepath.Join(s.Root(), filepath.FromSlash(name))
}

func flipByte(t *testing.T, s *local.Sink, name string) {
	t.Helper()
	data, err := os.ReadFile(sinkPath(s, name))
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	if err := os.WriteFile(sinkPath(s, name), data, 0o640); err != nil {
		t.Fatal(err)
	}
}

func deletePart(t *testing.T, s *local.Sink, p audit.Partition, n int) {
	t.Helper()
	for _, f := range []string{"jsonl", "csv"} {
		if err := s.Delete(t.Context(), partName(p, n, f)); err != nil {
			t.Fatal(err)
		}
	}
}

// editMeta sets one metadata value in the local sidecar.
func editMeta(t *testing.T, s *local.Sink, name, key, value string) {
	t.Helper()
	p := sinkPath(s, name) + ".meta.json"
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{}
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	meta[key] = value
	if data, err = json.Marshal(meta); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
}

// rewrite replaces the stored bytes of a jsonl.gz part by edit's result
// and updates its sha256 metadata to match, as someone who can write the
// container would to hide an edit from a check of the metadata alone.
func rewrite(t *testing.T, s *local.Sink, name string, edit func(string) string) {
	t.Helper()
	stored, sum := archivetest.Regzip(t, s, name, func(data []byte) []byte { return []byte(edit(string(data))) })
	if err := os.WriteFile(sinkPath(s, name), stored, 0o640); err != nil {
		t.Fatal(err)
	}
	editMeta(t, s, name, archive.MetaSHA256, sum)
}

func editState(t *testing.T, s archive.Sink, edit func(*state.State)) {
	t.Helper()
	store := state.DocStore{Sink: s, Layout: testLay}
	st, version, _, err := store.Load(t.Context(), "contoso", audit.InteractiveSignIns.Name)
	if err != nil {
		t.Fatal(err)
	}
	edit(&st)
	if _, err := store.Save(t.Context(), "contoso", audit.InteractiveSignIns.Name, st, version); err != nil {
		t.Fatal(err)
	}
}

// strict is options without gaps allowed.
func strict(sink archive.Sink, from, to time.Time) Options {
	o := options(sink, "jsonl", from, to)
	o.AllowGaps = false
	return o
}

// TestCoverage: export checks the range against the job's state (the
// archive's start, a p000 for every partition below the watermark, the
// spans Graph no longer served) before it writes anything; a gap fails it
// unless gaps are allowed, and a range past the watermark is exported with
// a warning.
func TestCoverage(t *testing.T) {
	built := builtArchive(t)
	all := archivedRecords(t, archiveCopy(t, built))
	from, to := time.Date(2026, 11, 19, 20, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)

	t.Run("covered", func(t *testing.T) {
		got, stats := run(t, strict(archiveCopy(t, built), from, to))
		cov := stats.Coverage
		if got != jsonlOf(expected(all, from, to, false, nil)) || len(cov.Gaps) > 0 || cov.PastWatermark || cov.StateMissing ||
			!cov.Start.Equal(archStart) || !cov.Watermark.Equal(watermark) || len(cov.Lost) > 0 {
			t.Fatalf("export of a covered range: %d records, coverage %+v", stats.Records, cov)
		}
	})

	t.Run("before the start", func(t *testing.T) {
		sink := archiveCopy(t, built)
		early := time.Date(2026, 11, 19, 12, 30, 0, 0, time.UTC)
		var out bytes.Buffer
		_, err := Run(t.Context(), strict(sink, early, to), &out)
		want := "contoso/interactive-signins: the archive does not cover the range: partitions 20261119T12Z to 20261119T17Z: " +
			"before the archive's start (2026-11-19T18:00:00Z); to export what the archive holds anyway, add --allow-gaps"
		var ge *GapError
		if !errors.Is(err, ErrGap) || !errors.As(err, &ge) || err.Error() != want || out.Len() != 0 {
			t.Fatalf("export from before the start: %v (wrote %d bytes), want\n%s\nand nothing written", err, out.Len(), want)
		}
		got, stats := run(t, options(sink, "jsonl", early, to))
		if got != jsonlOf(expected(all, early, to, false, nil)) || len(stats.Coverage.Gaps) != 1 ||
			stats.Coverage.Gaps[0].First != hour(19, 12) || stats.Coverage.Gaps[0].Last != hour(19, 17) {
			t.Fatalf("export with gaps allowed: %d records, gaps %v", stats.Records, stats.Coverage.Gaps)
		}
	})

	t.Run("p000 deleted below the watermark", func(t *testing.T) {
		sink := archiveCopy(t, built)
		for n := range 3 {
			deletePart(t, sink, unsealed, n)
		}
		_, err := Run(t.Context(), strict(sink, from, to), io.Discard)
		if !errors.Is(err, ErrGap) || !strings.Contains(err.Error(),
			"partition 20261120T12Z: below the watermark (2026-11-21T02:05:00Z) but no p000") {
			t.Fatalf("export over a partition without p000: %v", err)
		}
		got, stats := run(t, options(sink, "jsonl", from, to))
		want := expected(all, from, to, false, func(r audit.Record) bool { return !unsealed.Window().Contains(r.Time) })
		if got != jsonlOf(want) || len(stats.Coverage.Gaps) != 1 {
			t.Fatalf("export around the gap: %d records, gaps %v", stats.Records, stats.Coverage.Gaps)
		}
	})

	t.Run("past the watermark", func(t *testing.T) {
		late, end := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
		got, stats := run(t, strict(archiveCopy(t, built), late, end))
		if got != jsonlOf(expected(all, late, end, false, nil)) || !stats.Coverage.PastWatermark || len(stats.Coverage.Gaps) > 0 {
			t.Fatalf("export past the watermark: %d records, coverage %+v", stats.Records, stats.Coverage)
		}
	})

	t.Run("known loss", func(t *testing.T) {
		sink := archiveCopy(t, built)
		lost := state.LostSpan{From: hour(20, 15).Start, To: hour(20, 17).Start, Reason: "before Graph's minimum allowed time"}
		for _, p := range []audit.Partition{hour(20, 15), hour(20, 16)} {
			for n := range 3 {
				deletePart(t, sink, p, n)
			}
		}
		editState(t, sink, func(st *state.State) {
			st.NoteLost(lost)
			delete(st.Parts, "2026-11-20T15:00:00Z")
			delete(st.Parts, "2026-11-20T16:00:00Z")
		})
		got, stats := run(t, strict(sink, from, to))
		want := expected(all, from, to, false, func(r audit.Record) bool { return !(audit.Window{From: lost.From, To: lost.To}).Contains(r.Time) })
		if got != jsonlOf(want) || len(stats.Coverage.Gaps) > 0 || len(stats.Coverage.Lost) != 1 || !stats.Coverage.Lost[0].From.Equal(lost.From) {
			t.Fatalf("export over a known loss: %d records, coverage %+v", stats.Records, stats.Coverage)
		}
	})

	t.Run("without state", func(t *testing.T) {
		sink := archiveCopy(t, built)
		noState := func(o Options) Options { o.State = nil; return o }
		got, stats := run(t, noState(strict(sink, from, to)))
		if got != jsonlOf(expected(all, from, to, false, nil)) || !stats.Coverage.StateMissing || len(stats.Coverage.Gaps) > 0 ||
			!stats.Coverage.Start.Equal(archStart) {
			t.Fatalf("export without state: %d records, coverage %+v", stats.Records, stats.Coverage)
		}
		for _, tc := range []struct {
			o    Options
			want string
		}{
			{noState(strict(sink, from.Add(-6*time.Hour), to)), "partitions 20261119T14Z to 20261119T17Z: before the archive's oldest partition (2026-11-19T18:00:00Z)"},
			{func() Options { o := noState(strict(sink, from, to)); o.Stream = audit.Provisioning; return o }(),
				"partitions 20261119T20Z to 20261120T19Z: not archived: the archive holds no partition of contoso/provisioning"},
		} {
			if _, err := Run(t.Context(), tc.o, io.Discard); !errors.Is(err, ErrGap) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("export of [%s, %s) of %s without state: %v, want a gap saying %q", tc.o.From, tc.o.To, tc.o.Stream.Name, err, tc.want)
			}
		}
		deletePart(t, sink, unsealed, 0)
		deletePart(t, sink, unsealed, 1)
		deletePart(t, sink, unsealed, 2)
		if _, err := Run(t.Context(), noState(strict(sink, from, to)), io.Discard); !errors.Is(err, ErrGap) ||
			!strings.Contains(err.Error(), "partition 20261120T12Z: no p000 (without the job's state") {
			t.Fatalf("export without state over a partition without parts: %v", err)
		}
	})
}

// TestIntegrity: every part export reads is checked against its metadata
// and, in a sealed partition, against the manifest; a damaged or missing
// part fails the export naming the blob, gaps allowed or not, and leaves
// an output file as it was.
func TestIntegrity(t *testing.T) {
	built := builtArchive(t)
	from, to := time.Date(2026, 11, 19, 20, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		change  func(t *testing.T, s *local.Sink)
		blob    string
		problem string
	}{
		{"flipped byte in a sealed part", func(t *testing.T, s *local.Sink) { flipByte(t, s, partName(sealedMulti, 1, "jsonl")) },
			partName(sealedMulti, 1, "jsonl"), "sha256 mismatch: metadata"},
		{"flipped byte in an unsealed part", func(t *testing.T, s *local.Sink) { flipByte(t, s, partName(unsealed, 1, "jsonl")) },
			partName(unsealed, 1, "jsonl"), "sha256 mismatch: metadata"},
		{"record altered in a sealed part, metadata to match", func(t *testing.T, s *local.Sink) {
			rewrite(t, s, partName(sealedMulti, 1, "jsonl"), func(d string) string { return strings.Replace(d, `"errorCode":0`, `"errorCode":1`, 1) })
		}, partName(sealedMulti, 1, "jsonl"), "sha256 mismatch: manifest"},
		{"record removed from an unsealed part, sha256 to match", func(t *testing.T, s *local.Sink) {
			rewrite(t, s, partName(unsealed, 1, "jsonl"), func(d string) string { return d[strings.IndexByte(d, '\n')+1:] })
		}, partName(unsealed, 1, "jsonl"), "record count mismatch: metadata"},
		{"middle part of a sealed partition deleted", func(t *testing.T, s *local.Sink) { deletePart(t, s, sealedMulti, 1) },
			partName(sealedMulti, 1, "jsonl"), "has parts up to p003, numbered without gaps, but no p001"},
		{"newest part of an unsealed partition deleted", func(t *testing.T, s *local.Sink) { deletePart(t, s, unsealed, 2) },
			partName(unsealed, 2, "jsonl"), "the state counted 3 parts of partition 20261120T12Z"},
		{"part added to a sealed partition", func(t *testing.T, s *local.Sink) {
			data, err := os.ReadFile(sinkPath(s, partName(sealedMulti, 3, "jsonl")))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			meta := map[string]string{archive.MetaSHA256: hex.EncodeToString(sum[:]), archive.MetaRecords: "1", archive.MetaPart: strconv.Itoa(4)}
			if err := s.Put(t.Context(), partName(sealedMulti, 4, "jsonl"), bytes.NewReader(data), int64(len(data)), meta); err != nil {
				t.Fatal(err)
			}
		}, partName(sealedMulti, 4, "jsonl"), "not listed in the manifest"},
		{"manifest edited", func(t *testing.T, s *local.Sink) {
			rewriteFile(t, s, manifestName(sealedMulti), func(d string) string { return strings.Replace(d, `"records": `, `"records":  `, 1) })
		}, manifestName(sealedMulti), "sha256 mismatch: metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := archiveCopy(t, built)
			tc.change(t, sink)
			for _, allow := range []bool{false, true} {
				o := strict(sink, from, to)
				o.AllowGaps = allow
				_, err := Run(t.Context(), o, io.Discard)
				var de *read.DamageError
				if !errors.Is(err, read.ErrDamaged) || !errors.As(err, &de) || de.Blob != tc.blob || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("export (gaps allowed: %v): %v; want damage of %s saying %q", allow, err, tc.blob, tc.problem)
				}
			}
			// An output file is replaced only by a whole, checked export.
			path := filepath.Join(t.TempDir(), "out.jsonl")
			if err := os.WriteFile(path, []byte("previous export\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := ToFile(t.Context(), strict(sink, from, to), path); !errors.Is(err, read.ErrDamaged) {
				t.Fatalf("export to a file: %v", err)
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			if data, _ := os.ReadFile(path); string(data) != "previous export\n" || len(entries) != 1 {
				t.Fatalf("after a failed export the folder holds %d files and the output %q", len(entries), data)
			}
		})
	}
}

// rewriteFile edits a stored blob's bytes in place, its metadata left as
// it was.
func rewriteFile(t *testing.T, s *local.Sink, name string, edit func(string) string) {
	t.Helper()
	data, err := os.ReadFile(sinkPath(s, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sinkPath(s, name), []byte(edit(string(data))), 0o640); err != nil {
		t.Fatal(err)
	}
}
