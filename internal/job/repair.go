package job

import (
	"context"
	"errors"
	"fmt"
	"io"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/format"
)

// lossless reports whether a format keeps Graph's bytes (so every other
// format can be regenerated from it).
func lossless(f string) bool { return f == format.JSONL || f == format.JSON }

// repair completes parts that lack a configured format — a crash between
// the uploads of two formats, or a format added to the config — by
// regenerating them from the part's lossless blob.
func (pt *partition) repair(ctx context.Context) (int, error) {
	j := pt.j
	written := 0
	for _, part := range pt.inv.Parts {
		var missing []string
		for _, f := range j.formats {
			if _, ok := part.Blob(f); !ok {
				missing = append(missing, f)
			}
		}
		if len(missing) == 0 {
			continue
		}
		src := part.Faithful()
		if !lossless(src.Format) {
			j.log.Warn("part lacks configured formats and has no lossless blob to regenerate them from",
				zap.String("blob", src.Name), zap.Strings("missing", missing))
			continue
		}
		if err := pt.regenerate(ctx, src, missing); err != nil {
			return written, fmt.Errorf("complete part %s: %w", src.Name, err)
		}
		written += len(missing)
		j.log.Info("completed part with missing formats", zap.String("blob", src.Name), zap.Strings("formats", missing))
	}
	return written, nil
}

// regenerate writes the blobs of src's part in formats from src, which is
// checked against its metadata first: a damaged blob is never copied into
// new blobs with sound metadata.
func (pt *partition) regenerate(ctx context.Context, src read.Blob, formats []string) error {
	rd, err := pt.j.stored().Open(ctx, src)
	if err != nil {
		return err
	}
	defer rd.Close()
	pw, err := pt.j.newPartEncoder(formats)
	if err != nil {
		return err
	}
	defer pw.discard()
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := pw.Write(&rec); err != nil {
			return err
		}
	}
	check, err := rd.Finish()
	if err != nil {
		return err
	}
	if err := check.Err(); err != nil {
		return fmt.Errorf("%w (run verify)", err)
	}
	_, _, err = pw.commit(ctx, pt.p, src.Number)
	return err
}
