//go:build !linux

package bench

import "os/exec"

// Peak memory is measured on Linux only (from /proc).

func prepare(*exec.Cmd) {}

func watchRSS(int) func() int64 { return func() int64 { return 0 } }
