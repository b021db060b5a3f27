//go:build !linux

package testenv

import "os/exec"

// startChild starts cmd; the returned channel is closed when it has exited.
// Without Linux's parent-death signal, only Main and Stop stop it.
func startChild(cmd *exec.Cmd) (<-chan struct{}, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	return exited, nil
}
