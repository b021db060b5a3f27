package verify

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/manifest"
)

// testFaults damages copies of the archive one way each and checks that
// verify names every damaged blob, and only those.
func testFaults(t *testing.T, built string) {
	u1 := partName(unsealed, 1, "jsonl")
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, s *local.Sink)
		wants  []want
	}{
		{
			name:   "flipped byte in a sealed part",
			change: func(t *testing.T, s *local.Sink) { flipByte(t, s, partName(sealedMulti, 1, "jsonl")) },
			wants: []want{
				{partName(sealedMulti, 1, "jsonl"), "sha256 mismatch: metadata"},
				{partName(sealedMulti, 1, "jsonl"), "sha256 mismatch: manifest"},
			},
		},
		{
			name:   "flipped byte in an unsealed part",
			change: func(t *testing.T, s *local.Sink) { flipByte(t, s, partName(unsealed, 1, "csv")) },
			wants:  []want{{partName(unsealed, 1, "csv"), "sha256 mismatch: metadata"}},
		},
		{
			name:   "truncated part",
			change: func(t *testing.T, s *local.Sink) { truncate(t, s, u1) },
			wants:  []want{{u1, "does not parse"}, {u1, "sha256 mismatch"}},
		},
		{
			name:   "first part deleted",
			change: func(t *testing.T, s *local.Sink) { deletePart(t, s, sealedMulti, 0) },
			wants: []want{
				{partName(sealedMulti, 0, "jsonl"), "no p000"},
				{partName(sealedMulti, 0, "jsonl"), "missing: listed in the manifest"},
				{partName(sealedMulti, 0, "csv"), "missing: listed in the manifest"},
			},
		},
		{
			name:   "middle part deleted",
			change: func(t *testing.T, s *local.Sink) { deletePart(t, s, sealedMulti, 1) },
			wants: []want{
				{partName(sealedMulti, 1, "jsonl"), "no p001"},
				{partName(sealedMulti, 1, "jsonl"), "missing: listed in the manifest"},
				{partName(sealedMulti, 1, "csv"), "missing: listed in the manifest"},
			},
		},
		{
			name:   "last part deleted",
			change: func(t *testing.T, s *local.Sink) { deletePart(t, s, sealedMulti, 3) },
			wants: []want{
				{partName(sealedMulti, 3, "jsonl"), "missing: listed in the manifest"},
				{partName(sealedMulti, 3, "csv"), "missing: listed in the manifest"},
			},
		},
		{
			name:   "newest part of an unsealed partition deleted",
			change: func(t *testing.T, s *local.Sink) { deletePart(t, s, unsealed, 2) },
			wants:  []want{{partName(unsealed, 2, "jsonl"), "the state counted 3 parts of partition 20261120T12Z at its last commit, the archive holds 2"}},
		},
		{
			name:   "state document deleted",
			change: func(t *testing.T, s *local.Sink) { remove(t, s, stateName) },
			wants:  []want{{stateName, "the job has no state document"}},
		},
		{
			name: "state document and a sealed partition deleted",
			change: func(t *testing.T, s *local.Sink) {
				remove(t, s, stateName)
				remove(t, s, manifestName(sealedMid))
				for n := range 3 {
					deletePart(t, s, sealedMid, n)
				}
			},
			wants: []want{
				{stateName, "the job has no state document"},
				{partName(sealedMid, 0, "jsonl"), "missing: partition 20261120T02Z is below the watermark"},
				{manifestName(sealedMid), "missing: partition 20261120T02Z ends at or before sealed_through"},
				{manifestName(sealedNext), "the previous manifest y=2026/m=11/d=20/h=02/interactive-signins_20261120T02Z_manifest.json is missing"},
			},
		},
		{
			name: "state document and the oldest sealed partition deleted",
			change: func(t *testing.T, s *local.Sink) {
				remove(t, s, stateName)
				first := hour(19, 18)
				remove(t, s, manifestName(first))
				deletePart(t, s, first, 0)
			},
			wants: []want{
				{stateName, "the job has no state document"},
				{manifestName(hour(19, 19)), "the previous manifest y=2026/m=11/d=19/h=18/interactive-signins_20261119T18Z_manifest.json is missing"},
			},
		},
		{
			name:   "only the jsonl of an unsealed part deleted",
			change: func(t *testing.T, s *local.Sink) { remove(t, s, u1) },
			wants:  []want{{u1, "the config asks for jsonl"}},
		},
		{
			name:   "record count altered in the metadata",
			change: func(t *testing.T, s *local.Sink) { editMeta(t, s, u1, archive.MetaRecords, "7") },
			wants:  []want{{u1, "record count mismatch: metadata 7, the blob holds 8"}},
		},
		{
			name: "partition altered in the metadata",
			change: func(t *testing.T, s *local.Sink) {
				editMeta(t, s, partName(sealedMid, 1, "csv"), archive.MetaPartitionStart, "2026-11-20T03:00:00Z")
			},
			wants: []want{{partName(sealedMid, 1, "csv"), `metadata partition_start is "2026-11-20T03:00:00Z", want "2026-11-20T02:00:00Z"`}},
		},
		{
			name: "sha256 altered in the metadata",
			change: func(t *testing.T, s *local.Sink) {
				editMeta(t, s, partName(sealedMid, 1, "jsonl"), archive.MetaSHA256, manifest.Hash([]byte("other")))
			},
			wants: []want{{partName(sealedMid, 1, "jsonl"), "sha256 mismatch: metadata"}},
		},
		{
			name:   "metadata key removed",
			change: func(t *testing.T, s *local.Sink) { editMeta(t, s, u1, archive.MetaArchiverVersion, "") },
			wants:  []want{{u1, "metadata missing: archiver_version"}},
		},
		{
			name:   "tenant altered in the metadata",
			change: func(t *testing.T, s *local.Sink) { editMeta(t, s, u1, archive.MetaTenantID, strings.Repeat("0", 8)) },
			wants:  []want{{u1, "metadata tenant_id"}},
		},
		{
			name:   "manifest edited",
			change: func(t *testing.T, s *local.Sink) { editManifest(t, s, sealedMid, false) },
			wants: []want{
				{manifestName(sealedMid), "sha256 mismatch: metadata"},
				{manifestName(sealedNext), "the chain is broken: previous_sha256"},
			},
		},
		{
			name:   "manifest and its metadata edited",
			change: func(t *testing.T, s *local.Sink) { editManifest(t, s, sealedMid, true) },
			wants: []want{
				{manifestName(sealedMid), "says the partition holds 10 records, its blobs list 9"},
				{manifestName(sealedNext), "the chain is broken: previous_sha256"},
			},
		},
		{
			name:   "newest manifest edited",
			change: func(t *testing.T, s *local.Sink) { editManifest(t, s, sealedHead, true) },
			wants:  []want{{manifestName(sealedHead), "the state recorded"}},
		},
		{
			name:   "middle manifest deleted",
			change: func(t *testing.T, s *local.Sink) { remove(t, s, manifestName(sealedMid)) },
			wants: []want{
				{manifestName(sealedMid), "missing: partition 20261120T02Z ends at or before sealed_through"},
				{manifestName(sealedNext), "the previous manifest y=2026/m=11/d=20/h=02/interactive-signins_20261120T02Z_manifest.json is missing"},
			},
		},
		{
			name: "record duplicated in a new part",
			change: func(t *testing.T, s *local.Sink) {
				putPart(t, s, unsealed, 3, readRecords(t, s, u1)[3:4])
			},
			wants: []want{{partName(unsealed, 3, "jsonl"), "is stored twice: the same content is in interactive-signins_20261120T12Z_p001.jsonl.gz"}},
		},
		{
			name: "p000 deleted below the watermark",
			change: func(t *testing.T, s *local.Sink) {
				deletePart(t, s, unsealed, 0)
			},
			wants: []want{{partName(unsealed, 0, "jsonl"), "has parts up to p002, numbered without gaps, but no p000"}},
		},
		{
			name: "every part of a partition below the watermark deleted",
			change: func(t *testing.T, s *local.Sink) {
				for n := range 3 {
					deletePart(t, s, unsealed, n)
				}
			},
			wants: []want{{partName(unsealed, 0, "jsonl"), "missing: partition 20261120T12Z is below the watermark"}},
		},
		{
			name: "records out of order",
			change: func(t *testing.T, s *local.Sink) {
				putPart(t, s, unsealed, 3, []audit.Record{
					mkrec("x2", unsealed.Start.Add(20*time.Second), ""), mkrec("x1", unsealed.Start.Add(10*time.Second), "")})
			},
			wants: []want{
				{partName(unsealed, 3, "jsonl"), "records out of (time, id) order: record 2"},
				{partName(unsealed, 3, "csv"), "records out of (time, id) order: record 2"},
			},
		},
		{
			name: "record outside its partition",
			change: func(t *testing.T, s *local.Sink) {
				putPart(t, s, unsealed, 3, []audit.Record{mkrec("x1", unsealed.End(), "")})
			},
			wants: []want{
				{partName(unsealed, 3, "jsonl"), "is outside the partition"},
				{partName(unsealed, 3, "csv"), "is outside the partition"},
			},
		},
		{
			name: "sibling formats disagree",
			change: func(t *testing.T, s *local.Sink) {
				a, b := mkrec("x1", unsealed.Start, ""), mkrec("x2", unsealed.Start, "")
				putBlob(t, s, unsealed, 3, "jsonl", []audit.Record{a, b})
				putBlob(t, s, unsealed, 3, "csv", []audit.Record{a})
			},
			wants: []want{{partName(unsealed, 3, "csv"), "holds 1 records, its sibling interactive-signins_20261120T12Z_p003.jsonl.gz holds 2"}},
		},
		{
			name: "unknown file",
			change: func(t *testing.T, s *local.Sink) {
				put(t, s, "entra/contoso/interactive-signins/y=2026/m=11/d=20/notes.txt", []byte("hello"))
			},
			wants: []want{{"entra/contoso/interactive-signins/y=2026/m=11/d=20/notes.txt", "unknown file"}},
		},
		{
			name: "misplaced part",
			change: func(t *testing.T, s *local.Sink) {
				put(t, s, strings.Replace(partName(unsealed, 3, "jsonl"), "h=12", "h=13", 1), []byte("x"))
			},
			wants: []want{{strings.Replace(partName(unsealed, 3, "jsonl"), "h=12", "h=13", 1), "misplaced: a blob of this name belongs at " + partName(unsealed, 3, "jsonl")}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sink := archiveCopy(t, built)
			tc.change(t, sink)
			rep, err := Run(t.Context(), options(sink))
			if err != nil {
				t.Fatal(err)
			}
			checkFaults(t, rep.Faults, tc.wants...)
		})
	}
}

var stateName = testLay.StateName(testJob.Tenant, testJob.Stream.Name)

func sinkPath(s *local.Sink, name string) string {
	return filepath.Join(s.Root(), filepath.FromSlash(name))
}

func flipByte(t *testing.T, s *local.Sink, name string) {
	t.Helper()
	p := sinkPath(s, name)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, s *local.Sink, name string) {
	t.Helper()
	fi, err := os.Stat(sinkPath(s, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(sinkPath(s, name), fi.Size()/2); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, s *local.Sink, name string) {
	t.Helper()
	if _, err := s.Stat(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(t.Context(), name); err != nil {
		t.Fatal(err)
	}
}

func deletePart(t *testing.T, s *local.Sink, p audit.Partition, n int) {
	t.Helper()
	for _, f := range testJob.Formats {
		remove(t, s, partName(p, n, f))
	}
}

// editMeta sets (or, with "", removes) one metadata value in the local
// sidecar.
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
	if _, ok := meta[key]; !ok {
		t.Fatalf("%s has no %s", name, key)
	}
	if value == "" {
		delete(meta, key)
	} else {
		meta[key] = value
	}
	if data, err = json.Marshal(meta); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
}

// editManifest adds one to the record count of p's manifest and, with
// withMeta, updates its sha256 metadata to match the edited bytes.
func editManifest(t *testing.T, s *local.Sink, p audit.Partition, withMeta bool) {
	t.Helper()
	name := manifestName(p)
	path := sinkPath(s, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	old := []byte(`"records": ` + itoa(m.Records) + ",")
	if !bytes.Contains(data, old) {
		t.Fatalf("%s does not contain %s", name, old)
	}
	data = bytes.Replace(data, old, []byte(`"records": `+itoa(m.Records+1)+","), 1)
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if withMeta {
		editMeta(t, s, name, archive.MetaSHA256, manifest.Hash(data))
		editMeta(t, s, name, archive.MetaRecords, itoa(m.Records+1))
	}
}

func put(t *testing.T, s archive.Sink, name string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), name, bytes.NewReader(data), int64(len(data)),
		map[string]string{archive.MetaSHA256: manifest.Hash(data)}); err != nil {
		t.Fatal(err)
	}
}

// TestPartitionMismatch: verify with a configuration whose granularity is
// not the archive's says so once, instead of a fault per partition.
func TestPartitionMismatch(t *testing.T) {
	o := options(archiveCopy(t, builtArchive(t)))
	o.Jobs[0].Partition = audit.Day
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	checkFaults(t, rep.Faults, want{stateName, "the job archives in hour partitions but the configuration says day"})
}
