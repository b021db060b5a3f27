package format

import (
	"io"

	"github.com/klauspost/compress/gzip"
)

// gzipLevel is the compression level of archived parts, chosen with
// BenchmarkGzipLevels on jsonl of realistic sign-ins (CPU time, one core):
//
//	level 1        ~920 MB/s  ratio 10.5
//	level 2        ~780 MB/s  ratio 12.8
//	level 3        ~600 MB/s  ratio 12.9
//	level 6 (def.) ~460 MB/s  ratio 13.6
//	level 9        ~120 MB/s  ratio 14.1
//
// Level 2 stores a fifth less than level 1 for about a sixth more CPU, and at
// the product's target of 40 MB/s of Graph JSON per core it costs about 5% of
// that core, leaving the rest for parsing, sorting, hashing and uploading
// (three formats mean three compressions). Higher levels buy a few percent of
// storage for up to six times the CPU.
const gzipLevel = 2

// NewGzipWriter returns a gzip writer on w at the archive's level. Close
// flushes the gzip trailer but does not close w.
func NewGzipWriter(w io.Writer) io.WriteCloser {
	zw, err := gzip.NewWriterLevel(w, gzipLevel)
	if err != nil {
		// Only an invalid level fails, and gzipLevel is a valid constant.
		panic(err)
	}
	return zw
}

// NewGzipReader returns a reader of the uncompressed bytes of the gzip stream
// r. A corrupt or truncated stream is an error from Read. Close releases the
// decompressor but does not close r.
func NewGzipReader(r io.Reader) (io.ReadCloser, error) {
	return gzip.NewReader(r)
}
