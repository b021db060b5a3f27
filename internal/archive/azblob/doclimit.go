package azblob

import (
	"context"
	"fmt"
	"io"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

var _ archive.DocLimiter = (*Sink)(nil)

// ReadDocLimit implements archive.DocLimiter: ReadDoc that refuses a
// document larger than limit, by its length before reading any of it, or
// after limit+1 bytes when the length was not told.
func (s *Sink) ReadDocLimit(ctx context.Context, name string, limit int64) ([]byte, string, error) {
	if err := archive.CheckName(name); err != nil {
		return nil, "", err
	}
	resp, err := s.container.NewBlobClient(name).DownloadStream(storedBytes(ctx), nil)
	if err != nil {
		return nil, "", s.readError("read", name, err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != nil && *resp.ContentLength > limit {
		return nil, "", archive.TooLarge(name, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", s.fail("read", name, err)
	}
	if int64(len(data)) > limit {
		return nil, "", archive.TooLarge(name, limit)
	}
	if resp.ETag == nil {
		return nil, "", fmt.Errorf("read %s: the service sent no ETag", name)
	}
	return data, string(*resp.ETag), nil
}
