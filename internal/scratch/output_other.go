//go:build !linux

package scratch

import (
	"errors"
	"os"
)

// openUnnamed: only Linux opens a file without a name.
func openUnnamed(string) *os.File { return nil }

func linkUnnamed(*os.File, string) error { return errors.New("no unnamed files on this system") }
