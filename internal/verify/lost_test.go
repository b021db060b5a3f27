package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/manifest"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

const lostReason = "before Graph's minimum allowed time when the job got there"

// Spans of the built archive made lost: two sealed hours, and two hours
// between the seal point and the watermark.
var (
	sealedLost   = state.LostSpan{From: hour(20, 1).Start, To: hour(20, 3).Start, Reason: lostReason, Noted: t0}
	unsealedLost = state.LostSpan{From: hour(20, 14).Start, To: hour(20, 16).Start, Reason: "another outage", Noted: t0}
)

// loseSpan turns span l of a copy of the built archive into one the job
// never read, as the job leaves it when Graph no longer served it: its
// partitions hold no part, the sealed ones are sealed by "lost" manifests in
// the chain (the manifests after them relinked, the state's head updated),
// and the state records the span.
func loseSpan(t *testing.T, s *local.Sink, l state.LostSpan) {
	t.Helper()
	ctx := t.Context()
	store := state.DocStore{Sink: s, Layout: testLay}
	st, version, _, err := store.Load(ctx, testJob.Tenant, testJob.Stream.Name)
	if err != nil {
		t.Fatal(err)
	}
	for p := audit.Hour.Of(l.From); p.Start.Before(l.To); p = p.Next() {
		err := s.List(ctx, testLay.PartitionDir(testJob.Tenant, testJob.Stream.Name, p), func(o archive.Object) error {
			if e, ok := layout.ParseName(testJob.Stream.Name, layout.BaseName(o.Name)); ok && !e.Manifest {
				return s.Delete(ctx, o.Name)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		delete(st.Parts, p.Start.Format(time.RFC3339))
	}
	st.NoteLost(l)
	// Reseal from the span on: lost manifests for its partitions, the
	// manifests after it relinked.
	first := audit.Hour.Of(l.From)
	prevSHA := ""
	if !first.Start.Equal(st.Start) && first.Start.Before(st.SealedThrough) {
		prevSHA = manifest.Hash(readBlob(t, s, manifestName(audit.Partition{Start: first.Start.Add(-time.Hour), Granularity: audit.Hour})))
	}
	for p := first; p.Start.Before(st.SealedThrough); p = p.Next() {
		m := readManifest(t, s, p)
		if p.Start.Before(l.To) {
			m = manifest.Manifest{Version: manifest.Version, TenantID: m.TenantID, Stream: m.Stream,
				PartitionStart: p.Start, PartitionEnd: p.End(), Previous: m.Previous, Lost: l.Reason}
		}
		m.PreviousSHA256 = prevSHA
		prevSHA = rewriteManifest(t, s, p, m)
	}
	if st.SealedThrough.After(first.Start) {
		st.LastManifestSHA256 = prevSHA
	}
	if _, err := store.Save(ctx, testJob.Tenant, testJob.Stream.Name, st, version); err != nil {
		t.Fatal(err)
	}
}

func readBlob(t *testing.T, s archive.Sink, name string) []byte {
	t.Helper()
	data, err := read.ReadSmall(t.Context(), s, name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readManifest(t *testing.T, s archive.Sink, p audit.Partition) manifest.Manifest {
	t.Helper()
	m, err := manifest.Decode(readBlob(t, s, manifestName(p)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rewriteManifest replaces p's manifest with m, with metadata as the job
// writes it, and returns its SHA-256.
func rewriteManifest(t *testing.T, s *local.Sink, p audit.Partition, m manifest.Manifest) string {
	t.Helper()
	data, sum, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	name := manifestName(p)
	if err := s.Delete(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{
		archive.MetaSHA256: sum, archive.MetaRecords: strconv.FormatInt(m.Records, 10),
		archive.MetaPartitionStart: audit.FormatTime(p.Start), archive.MetaPartitionEnd: audit.FormatTime(p.End()),
		archive.MetaStream: testJob.Stream.Name, archive.MetaTenantID: tenantID, archive.MetaFormat: "manifest",
		archive.MetaArchiverVersion: "test",
	}
	if err := s.Put(t.Context(), name, bytes.NewReader(data), int64(len(data)), meta); err != nil {
		t.Fatal(err)
	}
	return sum
}

// editState changes the state document of a copy of the archive.
func editState(t *testing.T, s archive.Sink, edit func(*state.State)) {
	t.Helper()
	store := state.DocStore{Sink: s, Layout: testLay}
	st, version, _, err := store.Load(t.Context(), testJob.Tenant, testJob.Stream.Name)
	if err != nil {
		t.Fatal(err)
	}
	edit(&st)
	if _, err := store.Save(t.Context(), testJob.Tenant, testJob.Stream.Name, st, version); err != nil {
		t.Fatal(err)
	}
}

// lostArchive is a copy of the built archive with both lost spans.
func lostArchive(t *testing.T, built string) *local.Sink {
	t.Helper()
	s := archiveCopy(t, built)
	loseSpan(t, s, sealedLost)
	loseSpan(t, s, unsealedLost)
	return s
}

// TestLostSpans: partitions the job never read have no p000 and that is a
// known loss, reported as information; what a lost seal claims is checked,
// and the chain runs through lost manifests like any other.
func TestLostSpans(t *testing.T) {
	built := builtArchive(t)
	missed := state.LostSpan{From: hour(20, 6).Start, To: hour(20, 8).Start, Recheck: "24h0m0s", Reason: "late recheck", Noted: t0}

	t.Run("clean", func(t *testing.T) {
		s := lostArchive(t, built)
		editState(t, s, func(st *state.State) { st.NoteLost(missed) })
		rep, err := Run(t.Context(), options(s))
		if err != nil {
			t.Fatal(err)
		}
		checkFaults(t, rep.Faults)
		want := []state.LostSpan{sealedLost, missed, unsealedLost}
		if len(rep.Jobs) != 1 || !equalSpans(rep.Jobs[0].Lost, want) || rep.Jobs[0].Tenant != testJob.Tenant || rep.Jobs[0].Stream != testJob.Stream.Name {
			t.Fatalf("report jobs %+v, want the spans %+v", rep.Jobs, want)
		}
		// A range sees the spans that overlap it only.
		o := options(s)
		o.From, o.To = hour(20, 13).Start, hour(20, 20).Start
		rep, err = Run(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		checkFaults(t, rep.Faults)
		if !equalSpans(rep.Jobs[0].Lost, []state.LostSpan{unsealedLost}) {
			t.Fatalf("spans in range: %+v", rep.Jobs[0].Lost)
		}
	})

	t.Run("without state", func(t *testing.T) {
		s := lostArchive(t, built)
		remove(t, s, stateName)
		rep, err := Run(t.Context(), options(s))
		if err != nil {
			t.Fatal(err)
		}
		// The lost manifests say what was lost; the unsealed span was known
		// to the state alone, so without it its partitions are gaps.
		checkFaults(t, rep.Faults, want{stateName, "the job has no state document"},
			want{partName(hour(20, 14), 0, "jsonl"), "missing: partition 20261120T14Z is below the watermark"},
			want{partName(hour(20, 15), 0, "jsonl"), "missing: partition 20261120T15Z is below the watermark"})
		fromSeals := sealedLost
		fromSeals.Noted = time.Time{}
		if !equalSpans(rep.Jobs[0].Lost, []state.LostSpan{fromSeals}) {
			t.Fatalf("spans from the lost manifests: %+v", rep.Jobs[0].Lost)
		}
	})

	for _, tc := range []struct {
		name   string
		change func(t *testing.T, s *local.Sink)
		wants  []want
	}{
		{
			name: "a part in a lost partition",
			change: func(t *testing.T, s *local.Sink) {
				putPart(t, s, hour(20, 1), 0, []audit.Record{mkrec("x1", hour(20, 1).Start, "")})
			},
			wants: []want{
				{partName(hour(20, 1), 0, "jsonl"), "seals this partition as lost (\"" + lostReason + "\"), yet it holds this part"},
				{partName(hour(20, 1), 0, "csv"), "yet it holds this part"},
			},
		},
		{
			name: "a lost manifest that lists blobs and records",
			change: func(t *testing.T, s *local.Sink) {
				m := readManifest(t, s, hour(20, 2))
				m.Records = 3
				m.Blobs = []manifest.Blob{{Name: layout.BaseName(partName(hour(20, 2), 0, "jsonl")), Format: "jsonl", Records: 3}}
				rewriteManifest(t, s, hour(20, 2), m)
			},
			wants: []want{
				{manifestName(hour(20, 2)), "seals partition 20261120T02Z as lost (\"" + lostReason + "\") but lists 1 blobs"},
				{manifestName(hour(20, 2)), "but says it holds 3 records"},
				// Rewritten, it no longer hashes as its successor says.
				{manifestName(hour(20, 3)), "the chain is broken: previous_sha256"},
			},
		},
		{
			name:   "a lost manifest altered",
			change: func(t *testing.T, s *local.Sink) { flipByte(t, s, manifestName(hour(20, 1))) },
			wants: []want{
				{manifestName(hour(20, 1)), "sha256 mismatch: metadata"},
				{manifestName(hour(20, 2)), "the chain is broken: previous_sha256"},
			},
		},
		{
			name:   "a lost manifest deleted",
			change: func(t *testing.T, s *local.Sink) { remove(t, s, manifestName(hour(20, 2))) },
			wants: []want{
				{manifestName(hour(20, 2)), "missing: partition 20261120T02Z ends at or before sealed_through"},
				{manifestName(hour(20, 3)), "the previous manifest y=2026/m=11/d=20/h=02/interactive-signins_20261120T02Z_manifest.json is missing"},
			},
		},
		{
			name:   "lost manifests the state does not know of",
			change: func(t *testing.T, s *local.Sink) { editState(t, s, func(st *state.State) { st.Lost = st.Lost[1:] }) },
			wants: []want{
				{manifestName(hour(20, 1)), "seals partition 20261120T01Z as lost (\"" + lostReason + "\"), but the state records no never-read span over it"},
				{manifestName(hour(20, 2)), "but the state records no never-read span over it"},
			},
		},
		{
			name: "a never-read span that covers a partition only in part",
			change: func(t *testing.T, s *local.Sink) {
				editState(t, s, func(st *state.State) { st.Lost[1].To = hour(20, 15).Start.Add(30 * time.Minute) })
			},
			wants: []want{{partName(hour(20, 15), 0, "jsonl"), "missing: partition 20261120T15Z is below the watermark"}},
		},
		{
			name: "a span only a recheck missed excuses no p000",
			change: func(t *testing.T, s *local.Sink) {
				editState(t, s, func(st *state.State) { st.Lost[1].Recheck = "72h0m0s" })
			},
			wants: []want{
				{partName(hour(20, 14), 0, "jsonl"), "missing: partition 20261120T14Z is below the watermark"},
				{partName(hour(20, 15), 0, "jsonl"), "missing: partition 20261120T15Z is below the watermark"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := lostArchive(t, built)
			tc.change(t, s)
			rep, err := Run(t.Context(), options(s))
			if err != nil {
				t.Fatal(err)
			}
			checkFaults(t, rep.Faults, tc.wants...)
		})
	}
}

func equalSpans(got, want []state.LostSpan) bool {
	return slices.EqualFunc(got, want, func(a, b state.LostSpan) bool {
		return a.From.Equal(b.From) && a.To.Equal(b.To) && a.Recheck == b.Recheck && a.Reason == b.Reason
	})
}

// putQuarantined stores raw as a quarantined record with the metadata the
// job writes, changed by edit (nil: none), and returns its name.
func putQuarantined(t *testing.T, s archive.Sink, raw string, edit func(meta map[string]string)) string {
	t.Helper()
	sum := sha256.Sum256([]byte(raw))
	hexSum := hex.EncodeToString(sum[:])
	meta := map[string]string{archive.MetaSHA256: hexSum, archive.MetaReason: "no readable id",
		archive.MetaStream: testJob.Stream.Name, archive.MetaTenantID: tenantID, archive.MetaArchiverVersion: "test"}
	name := testLay.QuarantineName(testJob.Tenant, testJob.Stream.Name, hexSum)
	if edit != nil {
		edit(meta)
	}
	if err := s.Put(t.Context(), name, bytes.NewReader([]byte(raw)), int64(len(raw)), meta); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestQuarantine: every quarantined record is named by the SHA-256 of its
// bytes, says so in its metadata, and none of those the state counted is
// missing; their number is information.
func TestQuarantine(t *testing.T) {
	built := builtArchive(t)
	dir := testLay.QuarantineDir(testJob.Tenant, testJob.Stream.Name)
	records := []string{`{"createdDateTime":"2026-11-20T03:00:00Z"}`, `{"id":"q2","createdDateTime":"soon"}`, `{"id":"q3"}`}
	// quarantine stores the records and has the state count them.
	quarantine := func(t *testing.T, s *local.Sink) []string {
		var names []string
		for _, raw := range records {
			names = append(names, putQuarantined(t, s, raw, nil))
		}
		editState(t, s, func(st *state.State) { st.Quarantined = int64(len(records)) })
		return names
	}

	t.Run("clean", func(t *testing.T) {
		s := archiveCopy(t, built)
		quarantine(t, s)
		// One more than counted: stored before a crash kept the count.
		putQuarantined(t, s, `{"id":"q4"}`, nil)
		rep, err := Run(t.Context(), options(s))
		if err != nil {
			t.Fatal(err)
		}
		checkFaults(t, rep.Faults)
		if got := rep.Jobs[0]; got.Quarantined != 4 || got.QuarantineDir != dir {
			t.Fatalf("quarantine report %+v, want 4 records in %s", got, dir)
		}
	})

	for _, tc := range []struct {
		name   string
		change func(t *testing.T, s *local.Sink, names []string) []want
	}{
		{"a record altered", func(t *testing.T, s *local.Sink, names []string) []want {
			flipByte(t, s, names[0])
			return []want{{names[0], "sha256 mismatch: the name says"}, {names[0], "sha256 mismatch: metadata"}}
		}},
		{"a record replaced under its name, metadata to match", func(t *testing.T, s *local.Sink, names []string) []want {
			other := `{"id":"forged"}`
			remove(t, s, names[1])
			sum := sha256.Sum256([]byte(other))
			meta := map[string]string{archive.MetaSHA256: hex.EncodeToString(sum[:]), archive.MetaReason: "no readable time",
				archive.MetaStream: testJob.Stream.Name, archive.MetaTenantID: tenantID, archive.MetaArchiverVersion: "test"}
			if err := s.Put(t.Context(), names[1], bytes.NewReader([]byte(other)), int64(len(other)), meta); err != nil {
				t.Fatal(err)
			}
			return []want{{names[1], "sha256 mismatch: the name says"}}
		}},
		{"metadata altered and missing", func(t *testing.T, s *local.Sink, names []string) []want {
			editMeta(t, s, names[2], archive.MetaSHA256, manifest.Hash([]byte("other")))
			editMeta(t, s, names[2], archive.MetaReason, "")
			editMeta(t, s, names[2], archive.MetaStream, "provisioning")
			return []want{{names[2], "sha256 mismatch: metadata"}, {names[2], "metadata missing: reason"},
				{names[2], `metadata stream is "provisioning"`}}
		}},
		{"a record deleted", func(t *testing.T, s *local.Sink, names []string) []want {
			remove(t, s, names[1])
			return []want{{dir, "the state counted 3 quarantined records, the quarantine holds 2"}}
		}},
		{"an unknown file", func(t *testing.T, s *local.Sink, names []string) []want {
			put(t, s, dir+"notes.txt", []byte("hello"))
			return []want{{dir + "notes.txt", "unknown file in the quarantine"}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := archiveCopy(t, built)
			wants := tc.change(t, s, quarantine(t, s))
			rep, err := Run(t.Context(), options(s))
			if err != nil {
				t.Fatal(err)
			}
			checkFaults(t, rep.Faults, wants...)
		})
	}
}
