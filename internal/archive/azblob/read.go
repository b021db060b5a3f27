package azblob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// storedBytes asks for the bytes as stored: with an explicit Accept-Encoding
// Go's transport never decompresses a body, even one stored (by another
// tool) with Content-Encoding: gzip.
func storedBytes(ctx context.Context) context.Context {
	return policy.WithHTTPHeader(ctx, http.Header{"Accept-Encoding": {"gzip"}})
}

// isNotFound reports a missing blob or container.
func isNotFound(err error) bool {
	return bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound) || statusOf(err) == http.StatusNotFound
}

// Open implements archive.Sink. The stream resumes an interrupted download
// with ranged requests pinned to the blob's ETag.
func (s *Sink) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := archive.CheckName(name); err != nil {
		return nil, err
	}
	ctx = storedBytes(ctx)
	resp, err := s.container.NewBlobClient(name).DownloadStream(ctx, nil)
	if err != nil {
		return nil, s.readError("open", name, err)
	}
	return resp.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: 3}), nil
}

func (s *Sink) readError(op, name string, err error) error {
	switch {
	case isNotFound(err):
		return fmt.Errorf("%s %s: %w", op, name, archive.ErrNotFound)
	case bloberror.HasCode(err, bloberror.BlobArchived):
		return fmt.Errorf("%s %s: %w: the blob is in the Archive tier; rehydrate it to Hot or Cool first", op, name, clean(err))
	}
	return s.fail(op, name, err)
}

// Stat implements archive.Sink.
func (s *Sink) Stat(ctx context.Context, name string) (archive.Object, error) {
	if err := archive.CheckName(name); err != nil {
		return archive.Object{}, err
	}
	p, err := s.container.NewBlobClient(name).GetProperties(ctx, nil)
	if err != nil {
		return archive.Object{}, s.readError("stat", name, err)
	}
	return object(name, p.ContentLength, p.LastModified, p.Metadata), nil
}

// object builds an archive.Object; the service returns metadata keys
// canonicalised ("Records") from properties and as stored from listings.
func object(name string, size *int64, mod *time.Time, md map[string]*string) archive.Object {
	o := archive.Object{Name: name, Metadata: make(map[string]string, len(md))}
	if size != nil {
		o.Size = *size
	}
	if mod != nil {
		o.ModTime = mod.UTC()
	}
	for k, v := range md {
		if v != nil {
			o.Metadata[strings.ToLower(k)] = *v
		}
	}
	return o
}

// List implements archive.Sink; the service lists in lexical order.
func (s *Sink) List(ctx context.Context, prefix string, fn func(archive.Object) error) error {
	if err := archive.CheckPrefix(prefix); err != nil {
		return err
	}
	opts := &container.ListBlobsFlatOptions{Include: container.ListBlobsInclude{Metadata: true}}
	if prefix != "" {
		opts.Prefix = &prefix
	}
	pager := s.container.NewListBlobsFlatPager(opts)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return s.fail("list", prefix+"*", err)
		}
		for _, item := range page.Segment.BlobItems {
			if item.Name == nil {
				continue
			}
			var size *int64
			var mod *time.Time
			if p := item.Properties; p != nil {
				size, mod = p.ContentLength, p.LastModified
			}
			if err := fn(object(*item.Name, size, mod, item.Metadata)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Folders implements archive.Sink with a listing by delimiter, which
// returns the prefixes below prefix, not the blobs under them.
func (s *Sink) Folders(ctx context.Context, prefix string, fn func(string) error) error {
	if err := archive.CheckFolder(prefix); err != nil {
		return err
	}
	opts := &container.ListBlobsHierarchyOptions{}
	if prefix != "" {
		opts.Prefix = &prefix
	}
	pager := s.container.NewListBlobsHierarchyPager("/", opts)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return s.fail("list folders", prefix+"*/", err)
		}
		for _, p := range page.Segment.BlobPrefixes {
			if p.Name == nil {
				continue
			}
			if err := fn(*p.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// Delete implements archive.Sink, snapshots included.
func (s *Sink) Delete(ctx context.Context, name string) error {
	if err := archive.CheckName(name); err != nil {
		return err
	}
	_, err := s.container.NewBlobClient(name).Delete(ctx, &blob.DeleteOptions{DeleteSnapshots: new(blob.DeleteSnapshotsOptionTypeInclude)})
	if err != nil && !isNotFound(err) {
		return s.fail("delete", name, err)
	}
	return nil
}

// ReadDoc implements archive.Sink; the version is the blob's ETag.
func (s *Sink) ReadDoc(ctx context.Context, name string) ([]byte, string, error) {
	if err := archive.CheckName(name); err != nil {
		return nil, "", err
	}
	resp, err := s.container.NewBlobClient(name).DownloadStream(storedBytes(ctx), nil)
	if err != nil {
		return nil, "", s.readError("read", name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", s.fail("read", name, err)
	}
	if resp.ETag == nil {
		return nil, "", fmt.Errorf("read %s: the service sent no ETag", name)
	}
	return data, string(*resp.ETag), nil
}

// WriteDoc implements archive.Sink with If-Match on the ETag, or
// If-None-Match: * to create.
func (s *Sink) WriteDoc(ctx context.Context, name string, data []byte, ifVersion string) (string, error) {
	if err := archive.CheckName(name); err != nil {
		return "", err
	}
	cond := createOnly
	if ifVersion != "" {
		cond = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: new(azcore.ETag(ifVersion))}}
	}
	resp, err := s.container.NewBlockBlobClient(name).Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), &blockblob.UploadOptions{
		HTTPHeaders:      &blob.HTTPHeaders{BlobContentType: new(contentType(name))},
		AccessConditions: cond,
	})
	switch {
	case err == nil && resp.ETag != nil:
		return string(*resp.ETag), nil
	case err == nil:
		return "", fmt.Errorf("write %s: the service sent no ETag", name)
	case bloberror.HasCode(err, bloberror.ConditionNotMet, bloberror.BlobAlreadyExists) ||
		statusOf(err) == http.StatusPreconditionFailed || ifVersion != "" && isNotFound(err):
		return "", fmt.Errorf("write %s: %w", name, archive.ErrConflict)
	}
	return "", s.fail("write", name, err)
}
