package scheduler

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunsAtStartAndNeverOverlaps(t *testing.T) {
	s := New(nil)
	var running, maxRunning, runs atomic.Int32
	release := make(chan struct{})
	var once sync.Once
	err := s.Add("slow", "@every 1s", func(ctx context.Context) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		runs.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	// The first run starts at Start, not at the first tick.
	waitFor(t, func() bool { return runs.Load() == 1 })
	// Ticks while it runs are skipped.
	time.Sleep(2500 * time.Millisecond)
	if got := runs.Load(); got != 1 {
		t.Fatalf("runs while the first was still going = %d, want 1", got)
	}
	once.Do(func() { close(release) })
	waitFor(t, func() bool { return runs.Load() >= 2 })
	if !s.Stop(5 * time.Second) {
		t.Fatal("Stop timed out")
	}
	if m := maxRunning.Load(); m != 1 {
		t.Fatalf("max concurrent runs = %d, want 1", m)
	}
	if !s.Stop(time.Second) {
		t.Fatal("second Stop should be a no-op that succeeds")
	}
}

func TestStopCancelsRunsInFlight(t *testing.T) {
	s := New(nil)
	started := make(chan struct{})
	var cancelled atomic.Bool
	if err := s.Add("blocked", "@hourly", func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		cancelled.Store(true)
	}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	<-started
	if !s.Stop(5 * time.Second) {
		t.Fatal("Stop timed out")
	}
	if !cancelled.Load() {
		t.Fatal("run was not cancelled by Stop")
	}
}

func TestAddRejectsBadSpec(t *testing.T) {
	s := New(nil)
	if err := s.Add("x", "every 5 minutes", func(context.Context) {}); err == nil {
		t.Fatal("want an error for a bad spec")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
