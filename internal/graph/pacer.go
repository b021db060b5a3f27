package graph

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Pacer spaces requests so that no window of length per ever holds more than
// requests of them, the way Graph counts its throttling windows. It grants
// one slot at a time, each at least per/requests plus 2 % after the previous
// grant, so that jitter in network latency cannot push requests closer
// together at the server than the budget allows: a window of Graph's 5 per
// 10 s then tolerates 200 ms of jitter, while the budget is used at 98 %
// (the end-to-end bench measured no 429 at ten times Graph's rate; see
// docs/benchmarks.md).
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
		p.interval += p.interval / 50
	}
	return p
}

// Wait blocks until the caller may send one request, or ctx is done. Every
// return without error spends one slot of the budget.
func (p *Pacer) Wait(ctx context.Context) error {
	if err := p.reserve(ctx); err != nil {
		return err
	}
	p.spend(p.now())
	return nil
}

// reserve waits for the caller's turn and then until the next slot is due,
// and returns holding the turn: the caller must then spend the slot or
// release the turn.
func (p *Pacer) reserve(ctx context.Context) error {
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		now := p.now()
		at := p.due()
		if !now.Before(at) {
			if err := ctx.Err(); err != nil {
				p.release()
				return err
			}
			return nil
		}
		// Re-checked after the sleep: a Block may have arrived meanwhile.
		if err := p.sleep(ctx, at.Sub(now)); err != nil {
			p.release()
			return err
		}
	}
}

// due is when the next slot may be granted.
func (p *Pacer) due() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := p.blockedUntil
	if !p.last.IsZero() && p.last.Add(p.interval).After(at) {
		at = p.last.Add(p.interval)
	}
	return at
}

// spend grants the reserved slot at now and passes the turn on.
func (p *Pacer) spend(now time.Time) {
	p.mu.Lock()
	p.last = now
	p.mu.Unlock()
	p.release()
}

// release passes the turn on without spending a slot.
func (p *Pacer) release() { <-p.turn }

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
// from each pacer in turn (tenant, then app). The tenant's turn is held while
// the attempt queues for the app's budget, and both slots are spent at the
// instant the attempt leaves: were the tenant's slot spent when granted, a
// long and uneven queue for the app's budget (many tenants) would bunch the
// tenant's requests at the server closer than its budget allows.
type pacingPolicy []*Pacer

func (pp pacingPolicy) Do(req *policy.Request) (*http.Response, error) {
	if err := pp.wait(req.Raw().Context()); err != nil {
		return nil, err
	}
	return req.Next()
}

// wait reserves a slot of every pacer, in order, and spends them together.
// Should an earlier pacer have been blocked (a 429) while a later one was
// waited for, everything is released and reserved again.
func (pp pacingPolicy) wait(ctx context.Context) error {
	for {
		for i, p := range pp {
			if err := p.reserve(ctx); err != nil {
				for _, q := range pp[:i] {
					q.release()
				}
				return err
			}
		}
		ready := true
		for _, p := range pp {
			ready = ready && !p.now().Before(p.due())
		}
		if ready {
			for _, p := range pp {
				p.spend(p.now())
			}
			return nil
		}
		for _, p := range pp {
			p.release()
		}
	}
}

// timeoutPolicy bounds one attempt, from the moment it got its slot until
// its body is closed, so neither a stalled server nor a stalled body can
// hold a request forever. It sits after the pacing policy so that waiting
// for the budget does not count against the timeout.
type timeoutPolicy time.Duration

func (tp timeoutPolicy) Do(req *policy.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Raw().Context(), time.Duration(tp))
	resp, err := req.Clone(ctx).Next()
	if err == nil && ctx.Err() != nil {
		// An answer that raced the deadline is no answer in time: Go's
		// transport can hand back a response the server wrote only after
		// the deadline closed the connection (an empty 200 from a handler
		// that saw the close), and archiving that as an empty page would
		// be wrong, besides hiding that the query is too wide for Graph.
		if resp.Body != nil {
			resp.Body.Close()
		}
		err = fmt.Errorf("no complete answer within %s: %w", time.Duration(tp), ctx.Err())
		resp = nil
	}
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
