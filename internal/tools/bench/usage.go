package bench

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Usage is what one child process cost, as the kernel accounted it.
type Usage struct {
	Wall   time.Duration
	User   time.Duration
	System time.Duration
	// MaxRSS is the peak resident set in bytes (VmHWM, sampled; Linux
	// only). For a shell pipeline it is the largest single process, not
	// the sum.
	MaxRSS int64
}

// CPU is user plus system time.
func (u Usage) CPU() time.Duration { return u.User + u.System }

// measure runs cmd (made with exec.CommandContext) to completion and
// returns its usage; a failure carries the tail of its output. A positive
// stopAfter sends SIGTERM after that long (to a daemon, which then exits
// 0). The CPU times include the children cmd waited for: the kernel adds
// them to their parent's account when they are reaped.
func measure(cmd *exec.Cmd, stopAfter time.Duration) (Usage, error) {
	var out tail
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &out
	}
	prepare(cmd)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Usage{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	peak := watchRSS(cmd.Process.Pid)
	if stopAfter > 0 {
		t := time.AfterFunc(stopAfter, func() { _ = cmd.Process.Signal(syscall.SIGTERM) })
		defer t.Stop()
	}
	err := cmd.Wait()
	u := Usage{Wall: time.Since(start), MaxRSS: peak()}
	if ps := cmd.ProcessState; ps != nil {
		u.User, u.System = ps.UserTime(), ps.SystemTime()
	}
	if err != nil {
		return u, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	return u, nil
}

// tail keeps the last 8 KB written to it: enough to explain a failure.
type tail struct{ b []byte }

const tailSize = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*tailSize {
		t.b = append(t.b[:0], t.b[len(t.b)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	b := t.b
	if len(b) > tailSize {
		b = b[len(b)-tailSize:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}
