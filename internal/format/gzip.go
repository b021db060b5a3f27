package format

import (
	"errors"
	"io"
	"sync"

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
//
// A compressor costs 1.2 MB and half a millisecond to set up, more than
// compressing a small part, and a daemon of many tenants writes hundreds of
// small parts at every tick: compressors are reused through a pool, each
// returned by Close.
func NewGzipWriter(w io.Writer) io.WriteCloser {
	zw, _ := gzipWriters.Get().(*gzip.Writer)
	if zw == nil {
		var err error
		if zw, err = gzip.NewWriterLevel(w, gzipLevel); err != nil {
			// Only an invalid level fails, and gzipLevel is a valid constant.
			panic(err)
		}
	} else {
		zw.Reset(w)
	}
	return &pooledGzip{zw: zw}
}

var gzipWriters sync.Pool

type pooledGzip struct{ zw *gzip.Writer }

var errGzipClosed = errors.New("gzip: write after close")

func (p *pooledGzip) Write(b []byte) (int, error) {
	if p.zw == nil {
		return 0, errGzipClosed
	}
	return p.zw.Write(b)
}

func (p *pooledGzip) Close() error {
	if p.zw == nil {
		return nil
	}
	err := p.zw.Close()
	// Let go of the destination before the compressor waits in the pool.
	p.zw.Reset(io.Discard)
	gzipWriters.Put(p.zw)
	p.zw = nil
	return err
}

// NewGzipReader returns a reader of the uncompressed bytes of the gzip stream
// r. A corrupt or truncated stream is an error from Read. Close releases the
// decompressor but does not close r.
func NewGzipReader(r io.Reader) (io.ReadCloser, error) {
	return gzip.NewReader(r)
}
