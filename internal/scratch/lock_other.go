//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package scratch

import (
	"io/fs"
	"os"
)

const noFollow = 0

// Without flock, a folder's owner cannot be told alive or dead: no folder
// of another process is ever taken for abandoned, and each process removes
// its own when it closes it.
func lockFile(*os.File) error { return nil }

func lockFree(*os.File) bool { return false }

func ownedByMe(fs.FileInfo) bool { return true }
