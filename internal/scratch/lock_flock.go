//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package scratch

import (
	"io/fs"
	"os"
	"syscall"
)

const noFollow = syscall.O_NOFOLLOW

// lockFile locks f for as long as it is open; the kernel releases the lock
// when the process dies, however it dies.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// lockFree reports whether no process holds f's lock, taking it if so.
func lockFree(f *os.File) bool { return lockFile(f) == nil }

// ownedByMe reports whether this process's user owns the file.
func ownedByMe(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
