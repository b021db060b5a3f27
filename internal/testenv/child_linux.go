package testenv

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startChild starts cmd so that it receives SIGTERM when the test binary
// dies, even without a clean Stop. Linux delivers that signal when the
// thread that forked the child exits, so the child is started from a
// goroutine locked to its own thread that lives as long as the child. The
// returned channel is closed when the child has exited.
func startChild(cmd *exec.Cmd) (<-chan struct{}, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	started := make(chan error)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		err := cmd.Start()
		started <- err
		if err == nil {
			_ = cmd.Wait()
		}
		close(exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return exited, nil
}
