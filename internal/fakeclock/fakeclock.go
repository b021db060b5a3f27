// Package fakeclock is the one settable clock of the tests: the product
// takes its clock as a func() time.Time (and a sleep where it waits), and
// tests hand it a Clock's methods to move time by hand. Safe for concurrent
// use. Test harness only: product code never imports it (the lint's
// depguard rules).
package fakeclock

import (
	"context"
	"sync"
	"time"
)

// Clock is a clock that moves only when told.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock reading t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Sleep stands in for a sleep of d: it advances the clock at once, unless
// ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}
