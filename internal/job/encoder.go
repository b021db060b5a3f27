package job

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/scratch"
)

// partEncoder encodes one part in several formats at once, each into its own
// temporary file (compressed when configured), hashing the stored bytes on the
// way, so a part of any size needs constant memory and its metadata (records,
// sha256) is known before the create-only upload.
type partEncoder struct {
	j       *Job
	outs    []*encodedFile
	records int
}

type encodedFile struct {
	format string
	file   *os.File
	buf    *bufio.Writer
	hash   hash.Hash
	size   int64
	gz     io.WriteCloser
	enc    format.Writer
}

func (e *encodedFile) Write(p []byte) (int, error) {
	n, err := e.buf.Write(p)
	e.hash.Write(p[:n])
	e.size += int64(n)
	return n, err
}

func (j *Job) newPartEncoder(formats []string) (*partEncoder, error) {
	pw := &partEncoder{j: j}
	for _, f := range formats {
		// Unnamed: the records it holds are personal data, and a crash
		// must leave nothing behind.
		file, err := scratch.File(j.deps.TempDir, "entra-archiver-part-*")
		if err != nil {
			pw.discard()
			return nil, fmt.Errorf("create temporary part file: %w", err)
		}
		// 64 KiB: a system call per 64 KiB costs nothing next to encoding
		// it, and hundreds of small runs may hold a part writer at once.
		ef := &encodedFile{format: f, file: file, buf: bufio.NewWriterSize(file, 64<<10), hash: sha256.New()}
		var w io.Writer = ef
		if j.set.Gzip {
			ef.gz = format.NewGzipWriter(ef)
			w = ef.gz
		}
		enc, err := format.NewWriter(f, j.set.Stream, w)
		if err != nil {
			scratch.Close(file)
			pw.discard()
			return nil, err
		}
		ef.enc = enc
		pw.outs = append(pw.outs, ef)
	}
	return pw, nil
}

// Write appends rec to every format.
func (pw *partEncoder) Write(rec *audit.Record) error {
	for _, o := range pw.outs {
		if err := o.enc.Write(rec); err != nil {
			return fmt.Errorf("encode %s: %w", o.format, err)
		}
	}
	pw.records++
	return nil
}

// commit finishes the encodings and stores them as part number of p, most
// faithful format first, so a crash between two formats leaves a part that the
// next run can complete from the canonical one.
func (pw *partEncoder) commit(ctx context.Context, p audit.Partition, number int) (blobs int, bytes int64, err error) {
	j := pw.j
	for _, o := range pw.outs {
		if err := o.enc.Close(); err != nil {
			return blobs, bytes, fmt.Errorf("encode %s: %w", o.format, err)
		}
		if o.gz != nil {
			if err := o.gz.Close(); err != nil {
				return blobs, bytes, fmt.Errorf("compress %s: %w", o.format, err)
			}
		}
		if err := o.buf.Flush(); err != nil {
			return blobs, bytes, fmt.Errorf("write temporary part file: %w", err)
		}
	}
	for _, o := range pw.outs {
		part := layout.Part{Tenant: j.set.Tenant, Stream: j.set.Stream.Name, Partition: p,
			Number: number, Format: o.format, Gzip: j.set.Gzip}
		name := j.deps.Layout.PartName(part)
		meta := archive.Meta{Kind: archive.PartBlob, SHA256: hex.EncodeToString(o.hash.Sum(nil)), Records: int64(pw.records),
			Start: p.Start, End: p.End(), Stream: j.set.Stream.Name, TenantID: j.set.TenantID, Part: number,
			Format: o.format, Version: j.deps.Version}.Map()
		if _, err := o.file.Seek(0, io.SeekStart); err != nil {
			return blobs, bytes, err
		}
		if err := j.deps.Sink.Put(ctx, name, o.file, o.size, meta); err != nil {
			return blobs, bytes, fmt.Errorf("store %s: %w", name, err)
		}
		j.deps.Metrics.BlobWritten(j.set.Tenant, j.set.Stream.Name, o.size)
		blobs++
		bytes += o.size
	}
	return blobs, bytes, nil
}

// discard closes the temporary files.
func (pw *partEncoder) discard() {
	for _, o := range pw.outs {
		scratch.Close(o.file)
	}
	pw.outs = nil
}
