package scratch

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// openUnnamed opens a file without a name in dir (mode 0600), or returns
// nil where that cannot work: a file system without O_TMPFILE, or no /proc
// to name the file through later.
func openUnnamed(dir string) *os.File {
	f, err := os.OpenFile(dir, os.O_RDWR|unix.O_TMPFILE, 0o600)
	if err != nil {
		return nil
	}
	if _, err := os.Stat(fdPath(f)); err != nil {
		f.Close()
		return nil
	}
	return f
}

// linkUnnamed gives the unnamed file f the name path. Linking through
// /proc needs no privilege, unlike linkat's AT_EMPTY_PATH.
func linkUnnamed(f *os.File, path string) error {
	if err := unix.Linkat(unix.AT_FDCWD, fdPath(f), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW); err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: err}
	}
	return nil
}

func fdPath(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) }
