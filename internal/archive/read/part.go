package read

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
	"github.com/entra-archiver/entra-archiver/internal/manifest"
	"github.com/entra-archiver/entra-archiver/internal/progress"
)

// ErrDamaged: a stored blob is not what its name, metadata or manifest say
// (or is missing where they say it is).
var ErrDamaged = errors.New("damaged")

// DamageError names a damaged blob (for a missing one, the name it should
// have) and what is wrong with it.
type DamageError struct {
	Blob     string
	Problems []string
}

func (e *DamageError) Error() string { return e.Blob + ": " + strings.Join(e.Problems, "; ") }

func (e *DamageError) Unwrap() error { return ErrDamaged }

// PartReader reads one stored blob back, record by record, in its stored
// order, hashing and counting the stored bytes as they stream. Not safe for
// concurrent use.
type PartReader struct {
	blob     Blob
	tenantID string
	src      *hashingReader
	closers  []io.Closer
	rd       format.Reader // nil once reading stopped
	// pending is damage found when opening, returned by the first Next.
	pending  error
	records  int64
	prev     audit.Record // time and id of the previous record
	versions int          // records in a row with prev's time and id
	problems []string
	complete bool
}

// Open opens blob b for reading. A blob that is not what its name says, or
// is gone although it was listed, is reported by Next and Finish; Open's
// error is a failing storage.
func (s Stream) Open(ctx context.Context, b Blob) (*PartReader, error) {
	rc, err := s.Sink.Open(ctx, b.Name)
	if errors.Is(err, archive.ErrNotFound) {
		r := &PartReader{blob: b}
		r.pending = r.damage("listed, but gone when opened (deleted during the check?)")
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", b.Name, err)
	}
	meter := s.Progress
	if meter == nil {
		meter = progress.Discard
	}
	r := &PartReader{blob: b, tenantID: s.TenantID, src: &hashingReader{r: rc, h: sha256.New(), meter: meter}, closers: []io.Closer{rc}}
	var body io.Reader = r.src
	if b.Gzip {
		zr, err := format.NewGzipReader(r.src)
		if err != nil {
			if r.src.err != nil {
				r.Close()
				return nil, r.readError()
			}
			r.pending = r.damage(fmt.Sprintf("does not parse: not gzip (%v)", err))
			return r, nil
		}
		r.closers = append(r.closers, zr)
		body = zr
	}
	if r.rd, err = format.NewReader(b.Format, s.Stream, body); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Blob is the blob being read.
func (r *PartReader) Blob() Blob { return r.blob }

// Next returns the next record, or io.EOF after the last. A record that
// breaks the part's promises (bytes that do not parse, a record out of
// (time, id) order or outside the partition, more than MaxVersions records
// with one time and id) ends the reading with a
// *DamageError (wrapping ErrDamaged); io.EOF follows. A failing read of the
// storage is returned as it is.
func (r *PartReader) Next() (audit.Record, error) {
	if err := r.pending; err != nil {
		r.pending = nil
		return audit.Record{}, err
	}
	if r.rd == nil {
		return audit.Record{}, io.EOF
	}
	rec, err := r.rd.Next()
	switch {
	case errors.Is(err, io.EOF):
		r.rd, r.complete = nil, true
		return audit.Record{}, io.EOF
	case err != nil:
		r.rd = nil
		if r.src.err != nil {
			return audit.Record{}, r.readError()
		}
		return audit.Record{}, r.damage(fmt.Sprintf("does not parse after %d records: %v", r.records, err))
	}
	r.records++
	order := -1 // the first record follows nothing
	if r.records > 1 {
		order = audit.CompareKey(&r.prev, &rec)
	}
	if order > 0 {
		r.rd = nil
		return audit.Record{}, r.damage(fmt.Sprintf("records out of (time, id) order: record %d (id %q at %s) follows id %q at %s",
			r.records, rec.ID, audit.FormatTime(rec.Time), r.prev.ID, audit.FormatTime(r.prev.Time)))
	}
	if order == 0 {
		r.versions++
	} else {
		r.versions = 1
	}
	if r.versions > MaxVersions {
		// The job never stores more, so this is damage. Stopping here
		// bounds what a tampered part of one record repeated many times
		// costs a reader: verify reported every copy, export passed them.
		r.rd = nil
		return audit.Record{}, r.damage(fmt.Sprintf("record %d (id %q at %s): %v in this part, which the job never stores",
			r.records, rec.ID, audit.FormatTime(rec.Time), ErrTooManyVersions))
	}
	if w := r.blob.Partition.Window(); !w.Contains(rec.Time) {
		r.rd = nil
		return audit.Record{}, r.damage(fmt.Sprintf("record %d (id %q at %s) is outside the partition %s",
			r.records, rec.ID, audit.FormatTime(rec.Time), w))
	}
	r.prev = audit.Record{Time: rec.Time, ID: rec.ID}
	return rec, nil
}

func (r *PartReader) damage(problem string) error {
	r.problems = append(r.problems, problem)
	return &DamageError{Blob: r.blob.Name, Problems: []string{problem}}
}

func (r *PartReader) readError() error { return fmt.Errorf("read %s: %w", r.blob.Name, r.src.err) }

// Close releases the blob without checking it.
func (r *PartReader) Close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i].Close()
	}
	r.closers = nil
}

// Finish reads the records that are left (checking them as Next does) and
// the stored bytes after them, closes the blob and checks it against its
// metadata: the SHA-256 and size of the stored bytes and, when every record
// could be read, their count. Its error is a failing read of the storage;
// damage is in the Check.
func (r *PartReader) Finish() (Check, error) {
	defer r.Close()
	if r.src == nil { // gone
		return Check{Blob: r.blob, Problems: r.problems}, nil
	}
	for r.rd != nil || r.pending != nil {
		if _, err := r.Next(); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, ErrDamaged) {
			return Check{}, err
		}
	}
	if _, err := io.Copy(io.Discard, r.src); err != nil || r.src.err != nil {
		return Check{}, fmt.Errorf("read %s: %w", r.blob.Name, errors.Join(err, r.src.err))
	}
	c := Check{
		Blob: r.blob, Size: r.src.n, SHA256: hex.EncodeToString(r.src.h.Sum(nil)),
		Records: r.records, Complete: r.complete, Problems: r.problems,
	}
	c.Problems = append(c.Problems, c.againstMetadata(r.tenantID)...)
	return c, nil
}

// Check is what reading a blob to its end found.
type Check struct {
	Blob   Blob
	Size   int64  // stored bytes
	SHA256 string // of the stored bytes
	// Records counts the records read; Complete is true when that is all
	// of them (the blob was read to its end without damage).
	Records  int64
	Complete bool
	// Problems found, each a sentence; none when the blob is sound.
	Problems []string
}

// Err is a *DamageError naming the blob and its problems, or nil.
func (c Check) Err() error {
	if len(c.Problems) == 0 {
		return nil
	}
	return &DamageError{Blob: c.Blob.Name, Problems: c.Problems}
}

// requiredMeta are the metadata keys every data blob carries (DESIGN.md
// "Blob layout").
var requiredMeta = []string{
	archive.MetaRecords, archive.MetaSHA256, archive.MetaPartitionStart, archive.MetaPartitionEnd,
	archive.MetaStream, archive.MetaTenantID, archive.MetaPart, archive.MetaFormat, archive.MetaArchiverVersion,
}

// againstMetadata compares the blob's metadata with its name, the tenant
// (when tenantID is not "") and what was read.
func (c Check) againstMetadata(tenantID string) []string {
	var out, missing []string
	meta, b := c.Blob.Metadata, c.Blob
	for _, k := range requiredMeta {
		if archive.MetaGet(meta, k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		out = append(out, "metadata missing: "+strings.Join(missing, ", "))
	}
	expect := func(key, want, what string) {
		if got := archive.MetaGet(meta, key); got != "" && got != want {
			out = append(out, fmt.Sprintf("metadata %s is %q, want %q (%s)", key, got, want, what))
		}
	}
	expect(archive.MetaStream, b.Stream, "the stream of the name")
	expect(archive.MetaPart, strconv.Itoa(b.Number), "the part of the name")
	expect(archive.MetaFormat, b.Format, "the format of the name")
	expect(archive.MetaPartitionStart, audit.FormatTime(b.Partition.Start), "the partition of the name")
	expect(archive.MetaPartitionEnd, audit.FormatTime(b.Partition.End()), "the partition of the name")
	if got := archive.MetaGet(meta, archive.MetaTenantID); got != "" && tenantID != "" && !strings.EqualFold(got, tenantID) {
		out = append(out, fmt.Sprintf("metadata %s is %q, want %q (the configured tenant)", archive.MetaTenantID, got, tenantID))
	}
	if got := archive.MetaGet(meta, archive.MetaSHA256); got != "" && got != c.SHA256 {
		out = append(out, fmt.Sprintf("sha256 mismatch: metadata %s, stored bytes %s", ShortHash(got), ShortHash(c.SHA256)))
	}
	if got := archive.MetaGet(meta, archive.MetaRecords); got != "" && c.Complete && got != strconv.FormatInt(c.Records, 10) {
		out = append(out, fmt.Sprintf("record count mismatch: metadata %s, the blob holds %d", got, c.Records))
	}
	if b.Size != c.Size {
		out = append(out, fmt.Sprintf("size mismatch: listed as %d bytes, %d read", b.Size, c.Size))
	}
	return out
}

// AgainstManifest compares the blob as read with its entry in the manifest
// that seals its partition.
func (c Check) AgainstManifest(b manifest.Blob) []string {
	var out []string
	if b.SHA256 != c.SHA256 {
		out = append(out, fmt.Sprintf("sha256 mismatch: manifest %s, stored bytes %s", ShortHash(b.SHA256), ShortHash(c.SHA256)))
	}
	if c.Complete && b.Records != c.Records {
		out = append(out, fmt.Sprintf("record count mismatch: manifest %d, the blob holds %d", b.Records, c.Records))
	}
	if b.Size != c.Size {
		out = append(out, fmt.Sprintf("size mismatch: manifest %d bytes, stored %d", b.Size, c.Size))
	}
	return out
}

// ShortHash abbreviates a hash for messages; 12 hex digits identify it well
// enough to compare by eye.
func ShortHash(h string) string {
	if len(h) <= 12 {
		return h
	}
	return h[:12] + "…"
}

// hashingReader hashes and counts the stored bytes as they are read and
// keeps the first error of the storage itself, so a damaged blob is told
// apart from a failing read.
type hashingReader struct {
	r     io.Reader
	h     hash.Hash
	n     int64
	meter progress.Meter
	err   error
}

func (s *hashingReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.h.Write(p[:n])
	s.n += int64(n)
	s.meter.AddBytes(int64(n))
	if err != nil && !errors.Is(err, io.EOF) && s.err == nil {
		s.err = err
	}
	return n, err
}
