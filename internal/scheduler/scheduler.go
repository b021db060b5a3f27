// Package scheduler runs jobs on robfig/cron schedules (UTC): every job once
// at start, then at each tick of its spec, never two runs of one job at once.
// Stop cancels the runs in flight and waits for them, within a bound.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"
)

// RunFunc is one run of a job. It must return when ctx is cancelled.
type RunFunc func(ctx context.Context)

// Scheduler owns the cron instance and the jobs' goroutines.
type Scheduler struct {
	log  *zap.Logger
	cron *cron.Cron
	jobs []*entry

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	started bool
	stopped bool
}

type entry struct {
	name    string
	spec    string
	run     RunFunc
	running sync.Mutex
}

// New returns a scheduler that has not started.
func New(log *zap.Logger) *Scheduler {
	if log == nil {
		log = zap.NewNop()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		log:    log,
		cron:   cron.New(cron.WithLocation(time.UTC)),
		ctx:    ctx,
		cancel: cancel,
	}
}

// Parse validates a schedule spec: the standard five fields or a descriptor
// such as "@every 15m" or "@hourly".
func Parse(spec string) (cron.Schedule, error) {
	return cron.ParseStandard(spec)
}

// Add registers a job under a unique name with a cron spec.
func (s *Scheduler) Add(name, spec string, run RunFunc) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("scheduler: Add after Start")
	}
	e := &entry{name: name, spec: spec, run: run}
	if _, err := s.cron.AddFunc(spec, func() { s.fire(e) }); err != nil {
		return fmt.Errorf("schedule %q of %s: %w", spec, name, err)
	}
	s.jobs = append(s.jobs, e)
	return nil
}

// Start runs every job once now and then on its schedule.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	for _, e := range s.jobs {
		s.fire(e)
	}
	s.cron.Start()
}

// fire starts a run of e unless one is still going (the tick is skipped and
// logged: a run that outlasts its period is worth knowing about).
func (s *Scheduler) fire(e *entry) {
	if s.ctx.Err() != nil {
		return
	}
	if !e.running.TryLock() {
		s.log.Info("previous run still going; skipping this tick", zap.String("job", e.name), zap.String("schedule", e.spec))
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer e.running.Unlock()
		e.run(s.ctx)
	}()
}

// Stop stops scheduling, cancels runs in flight and waits up to timeout for
// them to return. It is idempotent and reports whether every run returned.
func (s *Scheduler) Stop(timeout time.Duration) bool {
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		// Wait for cron's own goroutines (they only call fire), so no run
		// starts after this point.
		<-s.cron.Stop().Done()
		s.cancel()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		s.log.Warn("runs did not stop in time; leaving them uncommitted", zap.Duration("timeout", timeout))
		return false
	}
}
