package scratch

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// Output is a file being written that takes its name only once it is
// complete: an export of personal data that a crash, kill -9 included,
// must not leave behind half-written. On Linux it has no name at all until
// Commit (O_TMPFILE, where the file system supports it); elsewhere it is a
// hidden file beside its final name (mode 0600), which a crash leaves.
type Output struct {
	*os.File
	path  string
	named string // the file's temporary name; "" while it has none
	done  bool
}

// NewOutput starts the file that Commit names path.
func NewOutput(path string) (*Output, error) {
	dir := filepath.Dir(path)
	if f := openUnnamed(dir); f != nil {
		return &Output{File: f, path: path}, nil
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &Output{File: f, path: path, named: f.Name()}, nil
}

// Commit flushes the file to disk and gives it its name, replacing what the
// name held; the Output is closed then.
func (o *Output) Commit() error {
	if err := o.Sync(); err != nil {
		return err
	}
	if o.named == "" {
		tmp, err := o.link()
		if err != nil {
			return err
		}
		o.named = tmp
	}
	if err := o.Close(); err != nil {
		return err
	}
	if err := os.Rename(o.named, o.path); err != nil {
		os.Remove(o.named)
		return err
	}
	o.done = true
	return nil
}

// link names the unnamed file: a new hidden name beside path, then renamed
// over it, since a link cannot replace a file.
func (o *Output) link() (string, error) {
	for range 10 {
		tmp := filepath.Join(filepath.Dir(o.path), "."+filepath.Base(o.path)+".tmp-"+strconv.FormatUint(uint64(rand.Uint32()), 10))
		err := linkUnnamed(o.File, tmp)
		if !errors.Is(err, fs.ErrExist) {
			return tmp, err
		}
	}
	return "", fmt.Errorf("name %s: no free temporary name", o.path)
}

// Discard closes the file and removes it, unless Commit named it.
func (o *Output) Discard() {
	if o.done {
		return
	}
	o.Close()
	if o.named != "" {
		os.Remove(o.named)
	}
}
