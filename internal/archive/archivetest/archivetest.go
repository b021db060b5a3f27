// Package archivetest is the conformance suite every archive.Sink passes:
// create-only writes, metadata, listing order, documents with optimistic
// concurrency and locks. A sink's own tests call Run with a constructor that
// returns a fresh, empty sink per call.
package archivetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// LargeSize is the size of the suite's large body. Sinks that change
// strategy with size (staged blocks) must be configured so that LargeSize
// crosses their threshold.
const LargeSize = 3<<20 + 12345

// Run runs the suite. newSink returns a fresh, empty sink for one subtest.
func Run(t *testing.T, newSink func(t *testing.T) archive.Sink) {
	tests := []struct {
		name string
		fn   func(*testing.T, archive.Sink)
	}{
		{"PutCreateOnly", testPutCreateOnly},
		{"PutRetryIdentical", testPutRetryIdentical},
		{"PutDifferentContent", testPutDifferentContent},
		{"PutConcurrent", testPutConcurrent},
		{"PutRejectsBadDigest", testPutRejectsBadDigest},
		{"PutLarge", testPutLarge},
		{"InvalidNames", testInvalidNames},
		{"Metadata", testMetadata},
		{"OpenGzipExact", testOpenGzipExact},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"List", testList},
		{"ListStops", testListStops},
		{"Folders", testFolders},
		{"Doc", testDoc},
		{"DocConcurrent", testDocConcurrent},
		{"Lock", testLock},
		{"Check", testCheck},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newSink(t)) })
	}
}

// digest is the lower-case hex SHA-256 of b.
func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// meta is a full set of contract metadata for body.
func meta(body []byte) map[string]string {
	return map[string]string{
		archive.MetaRecords:         "2",
		archive.MetaSHA256:          digest(body),
		archive.MetaPartitionStart:  "2026-11-27T03:00:00Z",
		archive.MetaPartitionEnd:    "2026-11-27T04:00:00Z",
		archive.MetaStream:          "interactive-signins",
		archive.MetaTenantID:        "72f988bf-0000-0000-0000-000000000000",
		archive.MetaPart:            "0",
		archive.MetaFormat:          "jsonl",
		archive.MetaArchiverVersion: "test",
	}
}

func put(ctx context.Context, s archive.Sink, name string, body []byte, m map[string]string) error {
	return s.Put(ctx, name, bytes.NewReader(body), int64(len(body)), m)
}

func mustPut(t *testing.T, s archive.Sink, name string, body []byte) map[string]string {
	t.Helper()
	m := meta(body)
	if err := put(t.Context(), s, name, body, m); err != nil {
		t.Fatalf("Put(%s): %v", name, err)
	}
	return m
}

func read(t *testing.T, s archive.Sink, name string) []byte {
	t.Helper()
	rc, err := s.Open(t.Context(), name)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

// wantContent fails unless name holds exactly want (compared by SHA-256, so
// large bodies give short messages).
func wantContent(t *testing.T, s archive.Sink, name string, want []byte) {
	t.Helper()
	if got := read(t, s, name); digest(got) != digest(want) {
		t.Fatalf("%s holds %d bytes (sha256 %s), want %d bytes (sha256 %s)", name, len(got), digest(got), len(want), digest(want))
	}
}

// wantMeta fails unless got holds exactly the entries of want, with lower-case keys.
func wantMeta(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Fatalf("%s metadata = %v, want %v", what, got, want)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return b[:n]
}
