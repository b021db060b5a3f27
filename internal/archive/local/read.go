package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// Open implements archive.Sink.
func (s *Sink) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, notFound(err))
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = fmt.Errorf("open %s: %w", name, archive.ErrNotFound)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// Stat implements archive.Sink. A blob whose sidecar is missing (removed by
// hand, or left by a version that published the blob first) has empty
// metadata until a Put of the same content completes it.
func (s *Sink) Stat(ctx context.Context, name string) (archive.Object, error) {
	p, err := s.path(name)
	if err != nil {
		return archive.Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return archive.Object{}, err
	}
	fi, err := os.Stat(p)
	if err == nil && fi.IsDir() {
		err = archive.ErrNotFound
	}
	if err != nil {
		return archive.Object{}, fmt.Errorf("stat %s: %w", name, notFound(err))
	}
	obj, err := object(name, p, fi)
	if err != nil {
		return archive.Object{}, fmt.Errorf("stat %s: %w", name, err)
	}
	return obj, nil
}

func object(name, p string, fi fs.FileInfo) (archive.Object, error) {
	meta, err := readSidecar(p + sidecarSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		meta, err = map[string]string{}, nil
	}
	if err != nil {
		return archive.Object{}, err
	}
	return archive.Object{Name: name, Size: fi.Size(), ModTime: fi.ModTime().UTC(), Metadata: meta}, nil
}

// List implements archive.Sink. It walks only the folders that can hold
// names with the prefix, visiting each folder's entries in the order of the
// full names they lead to (a folder "a" sorts as "a/", after "a.txt").
func (s *Sink) List(ctx context.Context, prefix string, fn func(archive.Object) error) error {
	if err := archive.CheckPrefix(prefix); err != nil {
		return err
	}
	rel := prefix[:strings.LastIndexByte(prefix, '/')+1]
	return s.walk(ctx, filepath.Join(s.root, filepath.FromSlash(rel)), rel, prefix, fn)
}

func (s *Sink) walk(ctx context.Context, dir, rel, prefix string, fn func(archive.Object) error) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil // no folder (or deleted while listing): no names below it
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", rel, err)
	}
	type entry struct {
		key string // the entry's name, with "/" for a folder
		de  fs.DirEntry
	}
	sorted := make([]entry, 0, len(entries))
	for _, de := range entries {
		if strings.HasPrefix(de.Name(), ".") || strings.HasSuffix(de.Name(), sidecarSuffix) {
			continue // temporary, lock and probe files; sidecars
		}
		key := de.Name()
		if de.IsDir() {
			key += "/"
		}
		sorted = append(sorted, entry{key, de})
	}
	slices.SortFunc(sorted, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	for _, e := range sorted {
		if err := ctx.Err(); err != nil {
			return err
		}
		full := rel + e.key
		p := filepath.Join(dir, e.de.Name())
		if e.de.IsDir() {
			if !strings.HasPrefix(full, prefix) && !strings.HasPrefix(prefix, full) {
				continue
			}
			if err := s.walk(ctx, p, full, prefix, fn); err != nil {
				return err
			}
			continue
		}
		if !strings.HasPrefix(full, prefix) {
			continue
		}
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted while listing
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", full, err)
		}
		obj, err := object(full, p, fi)
		if err != nil {
			return fmt.Errorf("list %s: %w", full, err)
		}
		if err := fn(obj); err != nil {
			return err
		}
	}
	return nil
}

// Folders implements archive.Sink. A folder counts only when it holds a
// listed blob somewhere below it, as in a container, where folders are
// only prefixes of names: an empty one left behind is not listed.
func (s *Sink) Folders(ctx context.Context, prefix string, fn func(string) error) error {
	if err := archive.CheckFolder(prefix); err != nil {
		return err
	}
	dir := filepath.Join(s.root, filepath.FromSlash(prefix))
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list folders %s: %w", prefix, err)
	}
	var folders []string
	for _, de := range entries {
		if de.IsDir() && !strings.HasPrefix(de.Name(), ".") {
			folders = append(folders, prefix+de.Name()+"/")
		}
	}
	// Sorted as full names: "a-b/" comes before "a/", unlike "a-b" and "a".
	slices.Sort(folders)
	for _, full := range folders {
		if err := ctx.Err(); err != nil {
			return err
		}
		held, err := s.holdsBlob(ctx, full)
		if err != nil {
			return err
		}
		if !held {
			continue
		}
		if err := fn(full); err != nil {
			return err
		}
	}
	return nil
}

// holdsBlob reports whether List would list anything below folder, stopping
// at the first blob.
func (s *Sink) holdsBlob(ctx context.Context, folder string) (bool, error) {
	errFound := errors.New("found")
	err := s.List(ctx, folder, func(archive.Object) error { return errFound })
	if errors.Is(err, errFound) {
		return true, nil
	}
	return false, err
}

// Delete implements archive.Sink. The blob goes first, its sidecar second: a
// leftover sidecar is invisible and replaced by the next Put of the name.
func (s *Sink) Delete(ctx context.Context, name string) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Dir(p)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	// Under the put lock, so that a Put of the same name cannot publish its
	// sidecar between the removals and lose it.
	_, err = s.publishLocked(func() (bool, error) {
		for _, f := range []string{p, p + sidecarSuffix} {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return false, err
			}
		}
		return true, syncDir(filepath.Dir(p))
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}

// Check implements archive.Sink: it creates, syncs and removes a probe file
// in the root.
func (s *Sink) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.root, ".probe-*")
	if err != nil {
		return fmt.Errorf("archive folder %s is not writable: %w", s.root, err)
	}
	_, err = f.WriteString("probe\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("archive folder %s is not writable: %w", s.root, err)
	}
	return nil
}

// notFound turns a missing file into archive.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return archive.ErrNotFound
	}
	return err
}
