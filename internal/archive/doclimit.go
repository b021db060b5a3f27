package archive

import (
	"context"
	"errors"
	"fmt"
)

// ErrTooLarge: a stored document or blob is larger than its reader allows.
// The archiver's own are far smaller than the bounds, so one that is not
// was written by someone else or tampered with; reading it whole could
// exhaust memory.
var ErrTooLarge = errors.New("larger than allowed")

// DocLimiter is a Sink that reads a document with a bound on its size,
// refusing a larger one after reading at most limit+1 bytes. The azblob and
// local sinks implement it.
type DocLimiter interface {
	ReadDocLimit(ctx context.Context, name string, limit int64) (data []byte, version string, err error)
}

// ReadDocLimit is Sink.ReadDoc for a document of at most limit bytes: a
// larger one is an error wrapping ErrTooLarge, read no further than the
// limit when s is a DocLimiter (other sinks, test fakes, are read whole and
// then checked).
func ReadDocLimit(ctx context.Context, s Sink, name string, limit int64) ([]byte, string, error) {
	if l, ok := s.(DocLimiter); ok {
		return l.ReadDocLimit(ctx, name, limit)
	}
	data, version, err := s.ReadDoc(ctx, name)
	if err == nil && int64(len(data)) > limit {
		return nil, "", TooLarge(name, limit)
	}
	return data, version, err
}

// TooLarge is the error for name being larger than limit bytes.
func TooLarge(name string, limit int64) error {
	return fmt.Errorf("read %s: %w: more than %d bytes", name, ErrTooLarge, limit)
}
