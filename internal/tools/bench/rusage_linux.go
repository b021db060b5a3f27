package bench

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Peak memory is sampled from /proc rather than taken from wait4's
// ru_maxrss: Go starts children with vfork, and the kernel then carries the
// parent's high-water mark into the child's ru_maxrss at exec, so a child
// smaller than the bench would report the bench's peak. VmHWM is the
// process's own high-water mark; sampling it every rssInterval misses only
// growth in the last interval of a process's life.
const rssInterval = 20 * time.Millisecond

// prepare puts the child in a process group of its own, so that the
// processes a shell starts can be found and sampled with it.
func prepare(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// watchRSS samples the peak VmHWM of the processes in the process group of
// pid until the returned function is called; that returns the peak in bytes.
func watchRSS(pid int) func() int64 {
	done := make(chan struct{})
	result := make(chan int64, 1)
	go func() {
		var peak int64
		t := time.NewTicker(rssInterval)
		defer t.Stop()
		for {
			peak = max(peak, groupHWM(pid))
			select {
			case <-done:
				result <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		return <-result
	}
}

// groupHWM is the largest VmHWM among the live processes of process group
// pgid.
func groupHWM(pgid int) int64 {
	var peak int64
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		if pgrp(filepath.Join(d, "stat")) != pgid {
			continue
		}
		peak = max(peak, hwm(filepath.Join(d, "status")))
	}
	return peak
}

// pgrp reads the process group from /proc/PID/stat (the fifth field; the
// second, the command, is in parentheses and may hold spaces).
func pgrp(stat string) int {
	b, err := os.ReadFile(stat)
	if err != nil {
		return -1
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return -1
	}
	n, err := strconv.Atoi(f[2])
	if err != nil {
		return -1
	}
	return n
}

// hwm reads VmHWM from /proc/PID/status, in bytes.
func hwm(status string) int64 {
	f, err := os.Open(status)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
