// Package local is the archive sink for a folder on a local or mounted file
// system. Every blob is a file under the root and its metadata a sidecar
// "<name>.meta.json" beside it. Blobs are written crash-safely and
// create-only: the bytes go to a temporary file in the target folder, which is
// synced and then published with link(2), which fails rather than replace an
// existing file. Documents (job state) are replaced by rename under an flock,
// so several processes can share one folder.
//
// Names whose segments start with "." and names ending in ".meta.json" are
// reserved for the sink's own files (temporary files, sidecars, document and
// lease locks) and rejected.
package local

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

const (
	dirMode       = 0o750
	fileMode      = 0o640
	sidecarSuffix = ".meta.json"
	tempPrefix    = ".tmp-"
	putLock       = ".put.lock"
)

// Sink stores blobs in a folder.
type Sink struct {
	root      string
	now       func() time.Time
	mustExist bool
}

var (
	_ archive.Sink   = (*Sink)(nil)
	_ archive.Locker = (*Sink)(nil)
)

// Option configures a Sink.
type Option func(*Sink)

// MustExist makes New fail on a missing folder instead of creating it
// (commands that only read, where a typo must not make a new archive).
func MustExist() Option { return func(s *Sink) { s.mustExist = true } }

// WithClock sets the clock that lease expiry is measured with (default
// time.Now). Every process sharing a folder should use the same wall clock.
func WithClock(now func() time.Time) Option {
	return func(s *Sink) { s.now = now }
}

// New opens the archive folder root, creating it (0750) if missing, and proves
// that it is a folder this process can write to.
func New(root string, opts ...Option) (*Sink, error) {
	if root == "" {
		return nil, errors.New("archive folder: no path given")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("archive folder %s: %w", root, err)
	}
	s := &Sink{root: abs, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) && s.mustExist {
		return nil, fmt.Errorf("archive folder %s does not exist (check storage.local.path; run, once and backfill create it): %w", abs, archive.ErrNotFound)
	}
	if err := mkdirAll(abs); err != nil {
		return nil, fmt.Errorf("create archive folder %s: %w", abs, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("archive folder %s: %w", abs, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("archive folder %s is not a folder", abs)
	}
	if err := s.Check(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// Root is the absolute path of the archive folder.
func (s *Sink) Root() string { return s.root }

// path maps a blob name to its file, enforcing archive.CheckName and the
// names this sink reserves for itself.
func (s *Sink) path(name string) (string, error) {
	if err := archive.CheckName(name); err != nil {
		return "", err
	}
	if strings.HasSuffix(name, sidecarSuffix) {
		return "", fmt.Errorf("blob name %q: %w: the suffix %s is reserved for metadata sidecars", name, archive.ErrInvalid, sidecarSuffix)
	}
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", fmt.Errorf("blob name %q: %w: segments starting with \".\" are reserved for the sink's own files", name, archive.ErrInvalid)
		}
	}
	return filepath.Join(s.root, filepath.FromSlash(name)), nil
}

// Put implements archive.Sink. The sidecar is published first and the blob
// second, so a blob never appears without its metadata, as with Azure Blob
// Storage, where both are one object: a crash between the two leaves only a
// sidecar, which is invisible and replaced by the next Put of the name. (The
// other order left, after a crash, a blob without metadata that the next run
// counted as archived and never completed.)
func (s *Sink) Put(ctx context.Context, name string, body io.ReadSeeker, size int64, meta map[string]string) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	want, err := archive.MetaDigest(meta)
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	if err := archive.CheckMeta(meta); err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	sidecar, err := json.Marshal(archive.LowerKeys(meta)) // map keys come out sorted
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	dir := filepath.Dir(p)
	// A retry finds its blob without writing the body again (which also
	// lets it succeed on a disk that has since filled up).
	if _, err := os.Stat(p); err == nil {
		done, err := s.publishLocked(func() (bool, error) { return completeExisting(p, sidecar, want) })
		if done || err != nil {
			return wrapPut(name, err)
		}
	}
	if err := mkdirAll(dir); err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("put %s: rewind body: %w", name, err)
	}
	tmp, got, err := writeTemp(dir, filepath.Base(p), ctxReader{ctx, body}, size)
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	defer os.Remove(tmp)
	if got != want {
		return fmt.Errorf("put %s: %w: the body's SHA-256 is %s but metadata says %s", name, archive.ErrInvalid, got, want)
	}
	_, err = s.publishLocked(func() (bool, error) {
		if done, err := completeExisting(p, sidecar, want); done || err != nil {
			return done, err
		}
		if err := publishSidecar(dir, p+sidecarSuffix, sidecar, want); err != nil {
			return false, err
		}
		if err := testHookBeforeBlob(); err != nil {
			return false, err
		}
		return true, publishBlob(tmp, p, want)
	})
	return wrapPut(name, err)
}

func wrapPut(name string, err error) error {
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	return nil
}

// publishLocked runs fn holding the sink's put lock, an flock on a hidden
// file in the root that a crash releases with the process. Publishing a
// sidecar and then its blob is two steps; without the lock, a concurrent Put
// of the same name with other content could replace the winner's sidecar
// between them. The lock covers only those steps (milliseconds), not the
// writing of the body.
func (s *Sink) publishLocked(fn func() (bool, error)) (bool, error) {
	f, err := lockFile(filepath.Join(s.root, putLock))
	if err != nil {
		return false, err
	}
	defer f.Close()
	return fn()
}

// completeExisting handles a name that is already taken: the same content
// is success once its sidecar is in place (the first write's metadata
// stays), other content is ErrExists. done is false if there is no blob.
func completeExisting(p string, sidecar []byte, want string) (done bool, err error) {
	have, err := hashFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("compare with the existing blob: %w", err)
	}
	if have != want {
		return false, fmt.Errorf("%w (stored sha256 %s, new %s)", archive.ErrExists, have, want)
	}
	return true, publishSidecar(filepath.Dir(p), p+sidecarSuffix, sidecar, want)
}

// testHookBeforeBlob lets tests stop a Put where a crash would: after the
// sidecar, before the blob.
var testHookBeforeBlob = func() error { return nil }

// publishBlob links tmp (holding content with SHA-256 want) to p unless p
// exists: an existing p with the same content is success, different content
// ErrExists.
func publishBlob(tmp, p, want string) error {
	err := os.Link(tmp, p)
	if errors.Is(err, fs.ErrExist) {
		have, herr := hashFile(p)
		if herr != nil {
			return fmt.Errorf("compare with the existing blob: %w", herr)
		}
		if have != want {
			return fmt.Errorf("%w (stored sha256 %s, new %s)", archive.ErrExists, have, want)
		}
		err = nil // a concurrent or earlier Put of the same content
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(p))
}

// publishSidecar writes the metadata sidecar of a blob with content (SHA-256
// want) that is about to be published, or already is. A sidecar with the
// same sha256 is kept, so the first write's metadata stays. One with another
// sha256 describes content that is not there (a leftover of a deleted blob,
// or of a crash mid-Put) and is replaced by rename. Put holds the folder's
// put lock and has checked that no blob of other content holds the name.
func publishSidecar(dir, p string, data []byte, want string) error {
	if meta, err := readSidecar(p); err == nil && archive.MetaGet(meta, archive.MetaSHA256) == want {
		return syncDir(dir) // the first writer may have died before syncing
	}
	tmp, _, err := writeTemp(dir, filepath.Base(p), bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, p)
	if errors.Is(err, fs.ErrExist) {
		meta, rerr := readSidecar(p)
		if rerr == nil && archive.MetaGet(meta, archive.MetaSHA256) == want {
			return syncDir(dir) // a concurrent Put of the same content won
		}
		err = os.Rename(tmp, p)
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

// writeTemp copies exactly size bytes of r into a new synced temporary file in
// dir and returns its path and the hex SHA-256 of the bytes. On error nothing
// is left behind.
func writeTemp(dir, base string, r io.Reader, size int64) (path, digest string, err error) {
	f, err := os.CreateTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return "", "", err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(fileMode); err != nil {
		return "", "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, size+1))
	if err != nil {
		return "", "", err
	}
	if n != size {
		return "", "", fmt.Errorf("%w: the body has %d bytes, expected %d", archive.ErrInvalid, n, size)
	}
	if err := f.Sync(); err != nil {
		return "", "", err
	}
	if err := f.Close(); err != nil {
		return "", "", err
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil)), nil
}

func readSidecar(p string) (map[string]string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var meta map[string]string
	if err := json.Unmarshal(data, &meta); err != nil {
		return nil, fmt.Errorf("metadata sidecar %s: %w", p, err)
	}
	return archive.LowerKeys(meta), nil
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// mkdirAll creates dir and its missing parents and syncs each parent it
// added an entry to, so a new folder survives a crash with the file
// published into it.
func mkdirAll(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is a file, not a folder", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
