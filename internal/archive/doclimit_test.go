package archive_test

import (
	"context"
	"errors"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// docOnly is a sink that only reads documents and has no bounded read.
type docOnly struct {
	archive.Sink
	data []byte
}

func (d docOnly) ReadDoc(context.Context, string) ([]byte, string, error) { return d.data, "v1", nil }

// TestSecurityReadDocLimitFallback: a sink without a bounded read is still
// held to the bound.
func TestSecurityReadDocLimitFallback(t *testing.T) {
	if _, _, err := archive.ReadDocLimit(t.Context(), docOnly{data: make([]byte, 11)}, "doc", 10); !errors.Is(err, archive.ErrTooLarge) {
		t.Errorf("11 bytes with a bound of 10: %v, want ErrTooLarge", err)
	}
	if data, v, err := archive.ReadDocLimit(t.Context(), docOnly{data: make([]byte, 10)}, "doc", 10); err != nil || len(data) != 10 || v != "v1" {
		t.Errorf("10 bytes with a bound of 10: %d bytes, %q, %v", len(data), v, err)
	}
}
