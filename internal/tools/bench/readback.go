package bench

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/format"
)

// contentSum identifies a multiset of records independent of their order:
// the count and the lane-wise sum of the records' SHA-256. Two outputs with
// equal sums hold the same records, byte for byte.
type contentSum struct {
	Records int
	lanes   [4]uint64
}

func (c *contentSum) add(rec []byte) {
	d := sha256.Sum256(rec)
	for i := range c.lanes {
		c.lanes[i] += binary.LittleEndian.Uint64(d[8*i:])
	}
	c.Records++
}

func (c *contentSum) merge(o contentSum) {
	for i := range c.lanes {
		c.lanes[i] += o.lanes[i]
	}
	c.Records += o.Records
}

// sumLines adds every line of r (a jsonl stream, gzip-compressed when gz).
func sumLines(r io.Reader, gz bool) (contentSum, error) {
	var c contentSum
	if gz {
		zr, err := format.NewGzipReader(r)
		if err != nil {
			return c, err
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(line) > 0 {
				return c, errors.New("last line has no line break")
			}
			return c, nil
		case err != nil:
			return c, err
		}
		c.add(line[:len(line)-1])
		line = line[:0]
	}
}

// sumFile sums a jsonl.gz file.
func sumFile(path string) (contentSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return contentSum{}, err
	}
	defer f.Close()
	return sumLines(f, true)
}

// archived is what the jsonl parts below a prefix hold.
type archived struct {
	Sum   contentSum
	Parts int
	Bytes int64 // stored (compressed) bytes of the jsonl parts
}

// readArchive reads back every jsonl part below prefix and checks each
// part's records metadata against its content.
func readArchive(ctx context.Context, sink archive.Sink, prefix string) (archived, error) {
	var a archived
	err := sink.List(ctx, prefix, func(o archive.Object) error {
		if !strings.HasSuffix(o.Name, ".jsonl.gz") {
			return nil
		}
		rc, err := sink.Open(ctx, o.Name)
		if err != nil {
			return err
		}
		defer rc.Close()
		c, err := sumLines(rc, true)
		if err != nil {
			return fmt.Errorf("%s: %w", o.Name, err)
		}
		if meta := archive.MetaGet(o.Metadata, archive.MetaRecords); meta != strconv.Itoa(c.Records) {
			return fmt.Errorf("%s: records metadata %s, content %d", o.Name, meta, c.Records)
		}
		a.Sum.merge(c)
		a.Parts++
		a.Bytes += o.Size
		return nil
	})
	return a, err
}

// countArchive sums the records metadata of the jsonl parts below prefix.
func countArchive(ctx context.Context, sink archive.Sink, prefix string) (records, parts int, err error) {
	err = sink.List(ctx, prefix, func(o archive.Object) error {
		if !strings.HasSuffix(o.Name, ".jsonl.gz") {
			return nil
		}
		n, err := strconv.Atoi(archive.MetaGet(o.Metadata, archive.MetaRecords))
		if err != nil {
			return fmt.Errorf("%s: records metadata: %w", o.Name, err)
		}
		records += n
		parts++
		return nil
	})
	return records, parts, err
}
