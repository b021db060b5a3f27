package partstest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// Put stores n records, rec(0) … rec(n-1) in that order, as the blob of part
// p with the metadata the job writes (records, the SHA-256 of the stored
// bytes, partition, part, format, tenant), and returns its name. It checks
// nothing: tests use it to store what the job never would (a tampered part
// whose metadata matches its content). Gzip holds the bytes in stored
// (uncompressed) blocks, which every gzip reader reads, so a part of
// hundreds of thousands of records is built in no time, even under -race.
func Put(t testing.TB, sink archive.Sink, l layout.Layout, p layout.Part, tenantID string, n int, rec func(i int) audit.Record) string {
	t.Helper()
	st, ok := audit.StreamByName(p.Stream)
	if !ok {
		t.Fatalf("unknown stream %q", p.Stream)
	}
	var buf bytes.Buffer
	var (
		zw  *gzip.Writer
		w   format.Writer
		err error
	)
	if p.Gzip {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.NoCompression) // a valid level: no error
		w, err = format.NewWriter(p.Format, st, zw)
	} else {
		w, err = format.NewWriter(p.Format, st, &buf)
	}
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r := rec(i)
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	meta := archive.Meta{Kind: archive.PartBlob, SHA256: hex.EncodeToString(sum[:]), Records: int64(n),
		Start: p.Partition.Start, End: p.Partition.End(), Stream: p.Stream, TenantID: tenantID, Part: p.Number,
		Format: p.Format, Version: "partstest"}.Map()
	name := l.PartName(p)
	if err := sink.Put(context.Background(), name, bytes.NewReader(buf.Bytes()), int64(buf.Len()), meta); err != nil {
		t.Fatal(err)
	}
	return name
}
