package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// maxManifestSize bounds what is read of a manifest: a partition's manifest
// lists its blobs, a few hundred bytes each.
const maxManifestSize = 16 << 20

// requiredMeta are the metadata keys every data blob carries (DESIGN.md
// "Blob layout").
var requiredMeta = []string{
	archive.MetaRecords, archive.MetaSHA256, archive.MetaPartitionStart, archive.MetaPartitionEnd,
	archive.MetaStream, archive.MetaTenantID, archive.MetaPart, archive.MetaFormat, archive.MetaArchiverVersion,
}

// stored is one listed data blob with its parsed name.
type stored struct {
	part layout.Part
	obj  archive.Object
}

// hashingReader hashes and counts the stored bytes as they are read and
// keeps the first error of the storage itself, so a damaged blob (a fault)
// is told apart from a failing read (an error).
type hashingReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func (s *hashingReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.h.Write(p[:n])
	s.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}

// blobReader reads one data blob record by record, checking each record's
// place (order, partition) on the way.
type blobReader struct {
	s        stored
	window   audit.Window // the partition
	src      *hashingReader
	closers  []io.Closer
	rd       format.Reader // nil once reading stopped
	records  int64
	cur      audit.Record
	ok       bool
	prev     audit.Record // time and id of the previous record
	problems []string
	parsed   bool // read to the end without a parse error
	disorder bool // an order problem was reported
	outside  bool // a partition problem was reported
}

// blobResult is what reading a blob found.
type blobResult struct {
	format  string
	size    int64
	sha256  string
	records int64
	parsed  bool
}

func (r *jobRun) openBlob(ctx context.Context, s stored, w audit.Window) (*blobReader, error) {
	b := &blobReader{s: s, window: w}
	rc, err := r.o.Sink.Open(ctx, s.obj.Name)
	if errors.Is(err, archive.ErrNotFound) {
		b.problems = append(b.problems, "listed, but gone when opened (deleted during the check?)")
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	b.src = &hashingReader{r: rc, h: sha256.New()}
	b.closers = append(b.closers, rc)
	var body io.Reader = b.src
	if s.part.Gzip {
		zr, err := format.NewGzipReader(b.src)
		if err != nil {
			if b.src.err != nil {
				b.close()
				return nil, fmt.Errorf("read %s: %w", s.obj.Name, b.src.err)
			}
			b.problems = append(b.problems, fmt.Sprintf("does not parse: not gzip (%v)", err))
			return b, nil
		}
		b.closers = append(b.closers, zr)
		body = zr
	}
	if b.rd, err = format.NewReader(s.part.Format, r.job.Stream, body); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// advance moves to the next record; ok is false after the last one or a
// parse error. It returns an error only when the storage failed.
func (b *blobReader) advance() error {
	b.ok = false
	if b.rd == nil {
		return nil
	}
	rec, err := b.rd.Next()
	switch {
	case errors.Is(err, io.EOF):
		b.rd, b.parsed = nil, true
		return nil
	case err != nil:
		b.rd = nil
		if b.src.err != nil {
			return fmt.Errorf("read %s: %w", b.s.obj.Name, b.src.err)
		}
		b.problems = append(b.problems, fmt.Sprintf("does not parse after %d records: %v", b.records, err))
		return nil
	}
	b.records++
	if b.records > 1 && !b.disorder && audit.CompareKey(&b.prev, &rec) > 0 {
		b.disorder = true
		b.problems = append(b.problems, fmt.Sprintf("records out of (time, id) order: record %d (id %q at %s) follows id %q at %s",
			b.records, rec.ID, audit.FormatTime(rec.Time), b.prev.ID, audit.FormatTime(b.prev.Time)))
	}
	if !b.outside && !b.window.Contains(rec.Time) {
		b.outside = true
		b.problems = append(b.problems, fmt.Sprintf("record %d (id %q at %s) is outside the partition %s",
			b.records, rec.ID, audit.FormatTime(rec.Time), b.window))
	}
	b.prev = audit.Record{Time: rec.Time, ID: rec.ID}
	b.cur, b.ok = rec, true
	return nil
}

// readAll reads every record (checking each) without keeping any.
func (b *blobReader) readAll() error {
	for {
		if err := b.advance(); err != nil {
			b.close()
			return err
		}
		if !b.ok {
			return nil
		}
	}
}

func (b *blobReader) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i].Close()
	}
	b.closers = nil
}

// finish reads what is left of the stored bytes (to hash all of them),
// reports the blob's problems and checks its metadata against its name and
// content.
func (r *jobRun) finish(b *blobReader) (blobResult, error) {
	defer b.close()
	res := blobResult{format: b.s.part.Format, records: b.records, parsed: b.parsed}
	name := b.s.obj.Name
	if b.src != nil {
		if _, err := io.Copy(io.Discard, b.src); err != nil || b.src.err != nil {
			return res, fmt.Errorf("read %s: %w", name, errors.Join(err, b.src.err))
		}
		res.size, res.sha256 = b.src.n, hex.EncodeToString(b.src.h.Sum(nil))
		r.rep.Blobs++
		r.rep.Bytes += res.size
		r.o.Progress.AddBytes(res.size)
	}
	for _, p := range b.problems {
		r.fault(name, "%s", p)
	}
	if b.src != nil {
		r.checkMeta(b.s, res)
	}
	return res, nil
}

// checkMeta compares a data blob's metadata with its name and content.
func (r *jobRun) checkMeta(s stored, res blobResult) {
	meta, name, p := s.obj.Metadata, s.obj.Name, s.part.Partition
	var missing []string
	for _, k := range requiredMeta {
		if archive.MetaGet(meta, k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		r.fault(name, "metadata missing: %s", strings.Join(missing, ", "))
	}
	expect := func(key, want, what string) {
		if got := archive.MetaGet(meta, key); got != "" && got != want {
			r.fault(name, "metadata %s is %q, want %q (%s)", key, got, want, what)
		}
	}
	expect(archive.MetaStream, r.job.Stream.Name, "the stream of the name")
	expect(archive.MetaPart, strconv.Itoa(s.part.Number), "the part of the name")
	expect(archive.MetaFormat, s.part.Format, "the format of the name")
	expect(archive.MetaPartitionStart, audit.FormatTime(p.Start), "the partition of the name")
	expect(archive.MetaPartitionEnd, audit.FormatTime(p.End()), "the partition of the name")
	if got := archive.MetaGet(meta, archive.MetaTenantID); got != "" && r.job.TenantID != "" && !strings.EqualFold(got, r.job.TenantID) {
		r.fault(name, "metadata %s is %q, want %q (the configured tenant)", archive.MetaTenantID, got, r.job.TenantID)
	}
	if got := archive.MetaGet(meta, archive.MetaSHA256); got != "" && got != res.sha256 {
		r.fault(name, "sha256 mismatch: metadata %s, stored bytes %s", short(got), short(res.sha256))
	}
	if got := archive.MetaGet(meta, archive.MetaRecords); got != "" && res.parsed && got != strconv.FormatInt(res.records, 10) {
		r.fault(name, "record count mismatch: metadata %s, the blob holds %d", got, res.records)
	}
	if s.obj.Size != res.size {
		r.fault(name, "size mismatch: listed as %d bytes, %d read", s.obj.Size, res.size)
	}
}

// short abbreviates a hash for messages; 12 hex digits identify it well
// enough to compare by eye.
func short(h string) string {
	if len(h) <= 12 {
		return h
	}
	return h[:12] + "…"
}

// errTooLarge: a blob that should be small is not.
var errTooLarge = errors.New("too large")

// readLimited reads r whole, failing beyond limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", errTooLarge, limit)
	}
	return data, nil
}
