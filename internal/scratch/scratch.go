// Package scratch keeps the temporary files that hold personal data (parts
// being encoded before their upload, sorted runs spilled to disk, an export
// being written) where nobody else can read them, and makes sure a crash,
// kill -9 included, leaves none behind:
//
//   - File creates a file (0600) and unlinks it at once: it lives as long
//     as its descriptor, which the kernel closes when the process dies, and
//     it can still be written, read back and sought, as an upload needs.
//   - Dir is the folder (0700) of one process under the temporary directory
//     that those files are created in. Where a system cannot unlink an open
//     file (Windows), a file keeps its name inside it until it is closed,
//     and the folder is removed when the process ends. The process holds a
//     lock on it while it lives, so the next start recognises a folder whose
//     owner died (the kernel released its lock) and removes it.
//   - Output is the file an export is written to: unnamed while it is being
//     written (Linux's O_TMPFILE), given its name only once it is complete.
//
// What an unlinked file holds is still readable by the process's own user
// and root through /proc/<pid>/fd while the process runs.
package scratch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// prefix starts the name of every process's folder; folders of processes
// still setting theirs up follow with setupMark.
const (
	prefix    = "entra-archiver-scratch-"
	setupMark = "setup-"
	lockName  = "owner.lock"
	// setupAge is how long a folder may be in setup before it counts as
	// abandoned: setting up takes a few system calls.
	setupAge = time.Hour
)

// File creates a file for pattern (as os.CreateTemp) in dir ("" = the
// system's temporary directory), readable and writable by its owner only,
// and unlinks it before returning, where the system allows (Windows does
// not: there the file keeps its name, in a Dir, until Close). Close it with
// Close.
func File(dir, pattern string) (*os.File, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	_ = os.Remove(f.Name())
	return f, nil
}

// Close closes a file from File and removes it if it still has its name.
// The name is removed only if it is still this file's: another file may
// have taken a name that was unlinked.
func Close(f *os.File) error {
	info, statErr := f.Stat()
	err := f.Close()
	if named, lerr := os.Lstat(f.Name()); statErr == nil && lerr == nil && os.SameFile(info, named) {
		err = errors.Join(err, os.Remove(f.Name()))
	}
	return err
}

// Dir is the private folder of this process. Path is safe for concurrent
// use.
type Dir struct {
	path string
	lock *os.File
}

// Open removes the folders that processes which died left under parent ("" =
// the system's temporary directory), creates this process's folder (0700)
// there and locks it for the life of the process. It returns the folders it
// removed. Only folders named as this package names them, owned by this
// user, and whose owner's lock is free are removed; a symbolic link is never
// followed.
func Open(parent string) (*Dir, []string, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	removed, err := removeAbandoned(parent)
	if err != nil {
		return nil, removed, err
	}
	// The folder is locked before it gets a name removeAbandoned accepts,
	// so no other process can take a folder being set up for abandoned.
	setup, err := os.MkdirTemp(parent, prefix+setupMark+"*")
	if err != nil {
		return nil, removed, fmt.Errorf("create a private temporary folder: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(setup, lockName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		if err = lockFile(lock); err != nil {
			lock.Close()
		}
	}
	if err != nil {
		os.RemoveAll(setup)
		return nil, removed, fmt.Errorf("lock the private temporary folder %s: %w", setup, err)
	}
	fmt.Fprintf(lock, "%d\n", os.Getpid()) // for a person wondering whose it is
	suffix := strings.TrimPrefix(filepath.Base(setup), prefix+setupMark)
	path := filepath.Join(parent, prefix+strconv.Itoa(os.Getpid())+"-"+suffix)
	if err := os.Rename(setup, path); err != nil {
		lock.Close()
		os.RemoveAll(setup)
		return nil, removed, fmt.Errorf("create a private temporary folder: %w", err)
	}
	return &Dir{path: path, lock: lock}, removed, nil
}

// Path is the folder.
func (d *Dir) Path() string { return d.path }

// Close removes the folder and releases it. A Dir that is closed must not
// be used; closing again does nothing.
func (d *Dir) Close() error {
	if d == nil || d.lock == nil {
		return nil
	}
	err := os.RemoveAll(d.path)
	d.lock.Close()
	d.lock = nil
	return err
}

// removeAbandoned removes the folders under parent whose owner died.
func removeAbandoned(parent string) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, fmt.Errorf("read the temporary directory: %w", err)
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !e.IsDir() { // IsDir: a symbolic link is not
			continue
		}
		path := filepath.Join(parent, name)
		if !abandoned(path, strings.HasPrefix(name, prefix+setupMark)) {
			continue
		}
		if err := os.RemoveAll(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove %s, left by a process that ended: %w", path, err)
		}
		removed = append(removed, path)
	}
	return removed, nil
}

// abandoned reports whether the folder at path belongs to this user and
// its owner is gone: its lock is free (taking it proves that, and it is
// released at once), or, for a folder that never finished its setup, it is
// old and not locked.
func abandoned(path string, inSetup bool) bool {
	info, err := os.Lstat(path)
	if err != nil || !info.IsDir() || !ownedByMe(info) {
		return false
	}
	if inSetup && time.Since(info.ModTime()) < setupAge {
		return false
	}
	lock, err := os.OpenFile(filepath.Join(path, lockName), os.O_RDONLY|noFollow, 0)
	if err != nil {
		// Only a folder in setup may lack its lock file (its owner died
		// before creating it); a finished one without it was tampered
		// with, and is left alone.
		return inSetup && errors.Is(err, fs.ErrNotExist)
	}
	defer lock.Close() // releases the lock lockFree took
	return lockFree(lock)
}
