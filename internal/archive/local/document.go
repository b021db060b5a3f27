package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// ReadDoc implements archive.Sink. The version is the hex SHA-256 of the
// content, so it needs no extra file and survives copying the folder.
func (s *Sink) ReadDoc(ctx context.Context, name string) ([]byte, string, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, "", err
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", name, notFound(err))
	}
	return data, hashBytes(data), nil
}

// WriteDoc implements archive.Sink. The compare and the swap happen under an
// exclusive flock on ".<name>.lock" beside the document, which serialises
// writers across processes; readers need no lock because the document is
// replaced by an atomic rename.
func (s *Sink) WriteDoc(ctx context.Context, name string, data []byte, ifVersion string) (string, error) {
	p, err := s.path(name)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	dir := filepath.Dir(p)
	if err := mkdirAll(dir); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	lock, err := lockFile(hiddenPath(p, ".lock"))
	if err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	defer lock.Close()

	current := ""
	old, err := os.ReadFile(p)
	switch {
	case err == nil:
		current = hashBytes(old)
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	if current != ifVersion {
		return "", fmt.Errorf("write %s: %w", name, archive.ErrConflict)
	}
	tmp, version, err := writeTemp(dir, filepath.Base(p), bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	if err := syncDir(dir); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return version, nil
}

// hiddenPath is the sink's own file ".<base><suffix>" beside p; the leading
// dot keeps it out of listings and out of the names callers may use.
func hiddenPath(p, suffix string) string {
	return filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+suffix)
}

// lockFile opens (creating) p and takes an exclusive flock on it, waiting for
// other holders. Closing the file releases the lock. Lock files are never
// removed: removing one while another process waits on it would let two
// processes hold "the" lock at once.
func lockFile(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	return f, nil
}
