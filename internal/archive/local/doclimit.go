package local

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

var _ archive.DocLimiter = (*Sink)(nil)

// ReadDocLimit implements archive.DocLimiter: ReadDoc that refuses a
// document larger than limit, by its size before reading any of it, and
// reads no more than limit+1 bytes of one that grows meanwhile.
func (s *Sink) ReadDocLimit(ctx context.Context, name string, limit int64) ([]byte, string, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, "", err
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", name, notFound(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, "", archive.TooLarge(name, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, "", archive.TooLarge(name, limit)
	}
	return data, hashBytes(data), nil
}
