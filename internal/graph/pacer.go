package graph

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Pacer spaces requests so that no window of length per ever holds more than
// requests of them, the way Graph counts its throttling windows. It grants
// one slot at a time, each at least per/requests plus 5 % after the previous
// grant, so that jitter in network latency cannot push requests closer
// together at the server than the budget allows.
//
// Spacing is measured between the instants slots are actually granted, not
// between scheduled instants: a waiter that wakes late (a busy CPU, a long
// GC) delays the next grant instead of letting it catch up, which is what
// keeps the guarantee under load. Create Pacers with NewPacer. A Pacer is
// safe for concurrent use; share one per budget (a tenant's streams share
// the tenant's Pacer, every tenant shares the app's).
type Pacer struct {
	interval time.Duration // 0: unlimited
	// turn is held by the one waiter that is next to be granted a slot;
	// the others queue on it in order.
	turn  chan struct{}
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu           sync.Mutex
	last         time.Time // when the latest slot was granted
	blockedUntil time.Time
}

// NewPacer returns a Pacer for a budget of requests per period per. A
// non-positive requests or per means no limit (Block still applies).
func NewPacer(requests int, per time.Duration) *Pacer {
	p := &Pacer{turn: make(chan struct{}, 1), now: time.Now, sleep: sleepContext}
	if requests > 0 && per > 0 {
		p.interval = per / time.Duration(requests)
		p.interval += p.interval / 20
	}
	return p
}

// Wait blocks until the caller may send one request, or ctx is done. Every
// return without error spends one slot of the budget.
func (p *Pacer) Wait(ctx context.Context) error {
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.turn }()
	for {
		now := p.now()
		p.mu.Lock()
		at := p.blockedUntil
		if !p.last.IsZero() && p.last.Add(p.interval).After(at) {
			at = p.last.Add(p.interval)
		}
		if !now.Before(at) {
			if err := ctx.Err(); err != nil {
				p.mu.Unlock()
				return err
			}
			p.last = now
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		// Re-checked after the sleep: a Block may have arrived meanwhile.
		if err := p.sleep(ctx, at.Sub(now)); err != nil {
			return err
		}
	}
}

// Block holds back everyone using the Pacer until the instant until (Graph
// answered 429 with a Retry-After). A Block never shortens an earlier one.
func (p *Pacer) Block(until time.Time) {
	p.mu.Lock()
	if until.After(p.blockedUntil) {
		p.blockedUntil = until
	}
	p.mu.Unlock()
}

// sleepContext waits for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pacingPolicy makes every attempt that reaches the wire wait for a slot
// from each pacer in turn (tenant, then app).
type pacingPolicy []*Pacer

func (pp pacingPolicy) Do(req *policy.Request) (*http.Response, error) {
	for _, p := range pp {
		if err := p.Wait(req.Raw().Context()); err != nil {
			return nil, err
		}
	}
	return req.Next()
}

// timeoutPolicy bounds one attempt, from the moment it got its slot until
// its body is closed, so neither a stalled server nor a stalled body can
// hold a request forever. It sits after the pacing policy so that waiting
// for the budget does not count against the timeout.
type timeoutPolicy time.Duration

func (tp timeoutPolicy) Do(req *policy.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Raw().Context(), time.Duration(tp))
	resp, err := req.Clone(ctx).Next()
	if err != nil {
		cancel()
		return resp, err
	}
	if resp.Body == nil {
		cancel()
		return resp, nil
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelOnClose releases an attempt's timeout context once its body is
// closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
