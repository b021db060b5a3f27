package azblob

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// createOnly makes a write fail with 409 BlobAlreadyExists if the blob exists.
var createOnly = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: new(azcore.ETagAny)}}

// contentType by extension. A .gz blob is application/gzip with no
// Content-Encoding, so no HTTP client decompresses it on download.
func contentType(name string) string {
	if strings.HasSuffix(name, ".gz") {
		return "application/gzip"
	}
	switch path.Ext(name) {
	case ".jsonl":
		return "application/x-ndjson"
	case ".json":
		return "application/json"
	case ".csv":
		return "text/csv; charset=utf-8"
	default:
		return "application/octet-stream"
	}
}

// Put implements archive.Sink. The body's SHA-256 is checked against
// meta before the blob becomes visible, so stored sha256 metadata is always
// true.
func (s *Sink) Put(ctx context.Context, name string, body io.ReadSeeker, size int64, meta map[string]string) error {
	if err := archive.CheckName(name); err != nil {
		return err
	}
	want, err := archive.MetaDigest(meta)
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	if err := archive.CheckMeta(meta); err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	md := make(map[string]*string, len(meta))
	for k, v := range archive.LowerKeys(meta) {
		md[k] = &v
	}
	if size > s.blockThreshold {
		// A retried large write checks first rather than upload gigabytes
		// only to learn that the blob is there.
		obj, err := s.Stat(ctx, name)
		if err == nil {
			return sameContent(name, obj, want)
		}
		if !errors.Is(err, archive.ErrNotFound) {
			return fmt.Errorf("put %s: %w", name, err)
		}
		return s.putResult(ctx, name, want, s.putBlocks(ctx, name, body, size, md, want))
	}
	return s.putResult(ctx, name, want, s.putSingle(ctx, name, body, size, md, want))
}

// putResult turns a refused create into the create-only verdict: the same
// content is success, other content ErrExists. A blob that exists is
// refused in three ways: 409 BlobAlreadyExists (If-None-Match: *), 409
// BlobImmutableDueToPolicy (a WORM container), or 403 when the credential
// may create blobs but not write over them (a SAS with c but not w, a role
// with blobs/add/action but not blobs/write). A 403 with no blob under the
// name is a missing permission and reported as one.
func (s *Sink) putResult(ctx context.Context, name, want string, err error) error {
	if err == nil {
		return nil
	}
	exists := bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.BlobImmutableDueToPolicy)
	if !exists && statusOf(err) != http.StatusForbidden {
		return s.fail("put", name, err)
	}
	obj, statErr := s.Stat(ctx, name)
	switch {
	case statErr == nil:
		return sameContent(name, obj, want)
	case !exists:
		return s.fail("put", name, err)
	}
	return fmt.Errorf("put %s: compare with the existing blob: %w", name, statErr)
}

func sameContent(name string, obj archive.Object, want string) error {
	if have := archive.MetaGet(obj.Metadata, archive.MetaSHA256); have != want {
		return fmt.Errorf("put %s: %w (stored sha256 %q, new %s)", name, archive.ErrExists, have, want)
	}
	return nil
}

// digests hashes a body twice over: MD5 for Azure's Content-MD5, SHA-256
// for the contract.
type digests struct {
	md5, sha256 hash.Hash
	n           int64
}

func newDigests() *digests { return &digests{md5: md5.New(), sha256: sha256.New()} }

func (d *digests) Write(p []byte) (int, error) {
	d.md5.Write(p)
	d.sha256.Write(p)
	d.n += int64(len(p))
	return len(p), nil
}

// verify checks size and SHA-256 of what was hashed against the caller's
// claims.
func (d *digests) verify(size int64, want string) error {
	if d.n != size {
		return fmt.Errorf("%w: the body has %d bytes, expected %d", archive.ErrInvalid, d.n, size)
	}
	if got := hex.EncodeToString(d.sha256.Sum(nil)); got != want {
		return fmt.Errorf("%w: the body's SHA-256 is %s but metadata says %s", archive.ErrInvalid, got, want)
	}
	return nil
}

// putSingle hashes the body, then uploads it in one Put Blob with its MD5 as
// both transfer check and stored Content-MD5.
func (s *Sink) putSingle(ctx context.Context, name string, body io.ReadSeeker, size int64, md map[string]*string, want string) error {
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind body: %w", err)
	}
	d := newDigests()
	if _, err := io.Copy(d, io.LimitReader(body, size+1)); err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if err := d.verify(size, want); err != nil {
		return err
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind body: %w", err)
	}
	sum := d.md5.Sum(nil)
	_, err := s.container.NewBlockBlobClient(name).Upload(ctx, streaming.NopCloser(body), &blockblob.UploadOptions{
		Metadata:                md,
		Tier:                    s.tier,
		HTTPHeaders:             &blob.HTTPHeaders{BlobContentType: new(contentType(name)), BlobContentMD5: sum},
		TransactionalValidation: blob.TransferValidationTypeMD5(sum),
		AccessConditions:        createOnly,
	})
	return err
}

// putBlocks streams the body into staged blocks, at most s.concurrency in
// flight, each from one of s.concurrency reused buffers, and commits the
// list create-only with the metadata and the whole-blob MD5 computed on the
// way. Blocks of a failed Put are never committed; the service discards
// them after a week.
func (s *Sink) putBlocks(ctx context.Context, name string, body io.ReadSeeker, size int64, md map[string]*string, want string) error {
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind body: %w", err)
	}
	bb := s.container.NewBlockBlobClient(name)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	buffers := make(chan []byte, s.concurrency)
	for range s.concurrency {
		buffers <- nil // allocated on first use
	}
	var (
		wg     sync.WaitGroup
		ids    []string
		d      = newDigests()
		r      = io.LimitReader(body, size+1) // one byte more reveals a longer body
		upload = newUploadID()
	)
	for d.n <= size {
		var buf []byte
		select {
		case buf = <-buffers:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		if buf == nil {
			buf = make([]byte, s.blockSize)
		}
		n, err := io.ReadFull(r, buf)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			buffers <- buf
			cancel(fmt.Errorf("read body: %w", err))
			break
		}
		if n == 0 {
			buffers <- buf
			break
		}
		d.Write(buf[:n])
		id := blockID(upload, len(ids))
		ids = append(ids, id)
		wg.Go(func() {
			defer func() { buffers <- buf }()
			sum := md5.Sum(buf[:n])
			_, err := bb.StageBlock(ctx, id, streaming.NopCloser(bytes.NewReader(buf[:n])), &blockblob.StageBlockOptions{
				TransactionalValidation: blob.TransferValidationTypeMD5(sum[:]),
			})
			if err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if err := d.verify(size, want); err != nil {
		return err
	}
	_, err := bb.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{
		Metadata:         md,
		Tier:             s.tier,
		HTTPHeaders:      &blob.HTTPHeaders{BlobContentType: new(contentType(name)), BlobContentMD5: d.md5.Sum(nil)},
		AccessConditions: createOnly,
	})
	return err
}

// newUploadID distinguishes the blocks of concurrent uploads of one name.
func newUploadID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// blockID: Azure wants block IDs of equal length within a blob, base64.
func blockID(upload string, i int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s-%06d", upload, i))
}
