package verify

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/manifest"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// stateHead is the chain head the job's state holds now, as status --json
// shows it and a seal logs it.
func stateHead(t *testing.T, s archive.Sink) Head {
	t.Helper()
	st, _, _, err := state.DocStore{Sink: s, Layout: testLay}.Load(t.Context(), testJob.Tenant, testJob.Stream.Name)
	if err != nil {
		t.Fatal(err)
	}
	return Head{Tenant: testJob.Tenant, Stream: testJob.Stream.Name, Manifest: st.LastManifest, SHA256: st.LastManifestSHA256, Where: "the ticket"}
}

// rewriteChain alters a record in part 1 of the sealed partition p and
// re-seals everything after it consistently, as whoever can write the
// container could: the part's sha256 metadata, p's manifest and every later
// one (each names its predecessor's new hash), their sha256 metadata and
// the state's head. Nothing in the archive tells the rewrite.
func rewriteChain(t *testing.T, s *local.Sink, p audit.Partition) {
	t.Helper()
	name := partName(p, 1, "jsonl")
	data := gunzip(t, s, name)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Replace(data, []byte(`"errorCode":0`), []byte(`"errorCode":1`), 1))
	zw.Close()
	if err := os.WriteFile(sinkPath(s, name), buf.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	editMeta(t, s, name, archive.MetaSHA256, hex.EncodeToString(sum[:]))

	st := stateHead(t, s)
	prev := ""
	for q := p; ; q = q.Next() {
		m := readManifest(t, s, q)
		if q == p {
			i := slices.IndexFunc(m.Blobs, func(b manifest.Blob) bool { return b.Name == baseName(name) })
			m.Blobs[i].SHA256, m.Blobs[i].Size = hex.EncodeToString(sum[:]), int64(buf.Len())
		} else {
			m.PreviousSHA256 = prev
		}
		out, hash, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sinkPath(s, manifestName(q)), out, 0o640); err != nil {
			t.Fatal(err)
		}
		editMeta(t, s, manifestName(q), archive.MetaSHA256, hash)
		prev = hash
		if testLay.StreamDir(testJob.Tenant, testJob.Stream.Name)+st.Manifest == manifestName(q) {
			break
		}
	}
	editState(t, s, func(st *state.State) { st.LastManifestSHA256 = prev })
}

func gunzip(t *testing.T, s archive.Sink, name string) []byte {
	t.Helper()
	rc, err := s.Open(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func baseName(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

// TestHeads: a chain head recorded elsewhere is checked against the
// archive: it is found while the chain holds it, and a chain rewritten
// consistently from before it (which verify alone cannot tell) is caught,
// as are a head that is gone and a chain cut back before it.
func TestHeads(t *testing.T) {
	built := builtArchive(t)
	run := func(t *testing.T, s archive.Sink, heads ...Head) Report {
		t.Helper()
		o := options(s)
		o.Heads = heads
		rep, err := Run(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	t.Run("in the chain", func(t *testing.T) {
		sink := archiveCopy(t, built)
		older := Head{Tenant: testJob.Tenant, Stream: testJob.Stream.Name, Manifest: strings.TrimPrefix(manifestName(sealedMid), testLay.StreamDir(testJob.Tenant, testJob.Stream.Name)),
			SHA256: manifest.Hash(readBlob(t, sink, manifestName(sealedMid))), Where: "an older ticket"}
		other := Head{Tenant: "fabrikam", Stream: testJob.Stream.Name, Manifest: older.Manifest, SHA256: older.SHA256, Where: "another tenant's ticket"}
		rep := run(t, sink, stateHead(t, sink), older, other)
		checkFaults(t, rep.Faults)
		if rep.Heads != 2 {
			t.Fatalf("checked %d heads, want 2 (the other tenant's is not this job's)", rep.Heads)
		}
	})

	t.Run("chain rewritten consistently", func(t *testing.T) {
		sink := archiveCopy(t, built)
		recorded := stateHead(t, sink)
		rewriteChain(t, sink, sealedMid)
		// The rewrite is consistent: the archive alone does not tell it.
		checkFaults(t, run(t, sink).Faults)
		checkFaults(t, run(t, sink, recorded).Faults,
			want{manifestName(sealedHead), "the chain was rewritten: recorded as the chain head in the ticket with sha256 " + recorded.SHA256[:12]})
	})

	t.Run("rewritten after the recorded head", func(t *testing.T) {
		// A head anchors the chain up to it, not after it.
		sink := archiveCopy(t, built)
		older := Head{Tenant: testJob.Tenant, Stream: testJob.Stream.Name, Manifest: strings.TrimPrefix(manifestName(sealedMid), testLay.StreamDir(testJob.Tenant, testJob.Stream.Name)),
			SHA256: manifest.Hash(readBlob(t, sink, manifestName(sealedMid))), Where: "an older ticket"}
		rewriteChain(t, sink, sealedNext)
		checkFaults(t, run(t, sink, older).Faults)
		rewriteChain(t, sink, sealedMid)
		checkFaults(t, run(t, sink, older).Faults, want{manifestName(sealedMid), "the chain was rewritten"})
	})

	t.Run("head gone", func(t *testing.T) {
		sink := archiveCopy(t, built)
		recorded := stateHead(t, sink)
		remove(t, sink, manifestName(sealedHead))
		editState(t, sink, func(st *state.State) {
			st.SealedThrough = sealedHead.Start
			st.LastManifest = strings.Replace(st.LastManifest, "h=05/interactive-signins_20261120T05Z", "h=04/interactive-signins_20261120T04Z", 1)
			st.LastManifestSHA256 = manifest.Hash(readBlob(t, sink, manifestName(hour(20, 4))))
		})
		checkFaults(t, run(t, sink, recorded).Faults, want{manifestName(sealedHead), "missing: it was recorded as the chain head"})
	})

	t.Run("chain cut back", func(t *testing.T) {
		sink := archiveCopy(t, built)
		recorded := stateHead(t, sink)
		editState(t, sink, func(st *state.State) {
			st.SealedThrough = sealedHead.Start
			st.LastManifest = strings.Replace(st.LastManifest, "h=05/interactive-signins_20261120T05Z", "h=04/interactive-signins_20261120T04Z", 1)
			st.LastManifestSHA256 = manifest.Hash(readBlob(t, sink, manifestName(hour(20, 4))))
		})
		faults := run(t, sink, recorded).Faults
		if !slices.ContainsFunc(faults, func(f Fault) bool {
			return f.Blob == manifestName(sealedHead) && strings.Contains(f.Problem, "the chain was cut back")
		}) {
			t.Fatalf("no fault saying the chain was cut back:\n%s", faultList(faults))
		}
	})
}

// TestParseHeads: heads are read from lines, from status --json and from
// the seals' log lines; anything else is refused with where it is.
func TestParseHeads(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	want := []Head{{Tenant: "contoso", Stream: "interactive-signins", Manifest: "y=2026/m=11/d=20/h=05/interactive-signins_20261120T05Z_manifest.json", SHA256: sum}}
	for name, text := range map[string]string{
		"lines": "# recorded 2026-11-21\n\ncontoso/interactive-signins y=2026/m=11/d=20/h=05/interactive-signins_20261120T05Z_manifest.json " + sum + "\n",
		"status": `{"generated": "2026-11-21T00:00:00Z", "rows": [
			{"tenant": "contoso", "stream": "interactive-signins", "chain_head": {"manifest": "y=2026/m=11/d=20/h=05/interactive-signins_20261120T05Z_manifest.json", "sha256": "` + sum + `", "sealed_through": "2026-11-20T06:00:00Z"}},
			{"tenant": "contoso", "stream": "directory-audits"}]}`,
		"log": `{"level":"info","msg":"archived","tenant":"contoso","stream":"interactive-signins","records":3}
{"level":"info","msg":"sealed: the stream's manifest chain has a new head","tenant":"contoso","stream":"interactive-signins","manifest":"y=2026/m=11/d=20/h=05/interactive-signins_20261120T05Z_manifest.json","sha256":"` + sum + `","sealed_through":"2026-11-20T06:00:00Z","partitions":1}
`,
	} {
		got, err := ParseHeads(strings.NewReader(text), name)
		for i := range got {
			got[i].Where = ""
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %+v, %v; want %+v", name, got, err, want)
		}
	}
	for _, tc := range []struct{ text, want string }{
		{"contoso interactive-signins x " + sum, "heads line 1: want \"tenant/stream manifest sha256\""},
		{"\ncontoso/interactive-signins x " + sum[:10], `heads line 2: "ababababab" is not a lower-case hex SHA-256`},
		{`{"rows": [`, "heads: not a status --json report or seal log lines"},
	} {
		if _, err := ParseHeads(strings.NewReader(tc.text), "heads"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseHeads(%q) = %v, want an error saying %q", tc.text, err, tc.want)
		}
	}
}
