package graph

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/fakeclock"
)

func fakePacer(requests int, per time.Duration) (*Pacer, *fakeclock.Clock) {
	c := fakeclock.New(time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC))
	p := NewPacer(requests, per)
	p.now, p.sleep = c.Now, c.Sleep
	return p, c
}

// maxInWindow is the most instants of sends that fall in any closed window
// of length per: the strictest way a server can count.
func maxInWindow(sends []time.Time, per time.Duration) int {
	most := 0
	for i := range sends {
		n := 0
		for j := i; j < len(sends) && sends[j].Sub(sends[i]) <= per; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

func TestPacerStaysUnderBudget(t *testing.T) {
	for _, tt := range []struct {
		requests int
		per      time.Duration
	}{{5, 10 * time.Second}, {122, 10 * time.Second}, {5, 500 * time.Millisecond}, {1, time.Second}} {
		p, c := fakePacer(tt.requests, tt.per)
		var sends []time.Time
		for range 3*tt.requests + 7 {
			if err := p.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			sends = append(sends, c.Now())
		}
		if got := maxInWindow(sends, tt.per); got > tt.requests {
			t.Errorf("%d per %s: %d requests in one window", tt.requests, tt.per, got)
		}
		// Paced, not starved: the whole run takes about as long as the
		// budget requires (5 % margin), not more.
		took := sends[len(sends)-1].Sub(sends[0])
		need := tt.per * time.Duration(len(sends)-1) / time.Duration(tt.requests)
		if took < need || took > need+need/10 {
			t.Errorf("%d per %s: %d requests took %s, want about %s", tt.requests, tt.per, len(sends), took, need)
		}
	}
}

func TestPacerUnlimited(t *testing.T) {
	p, c := fakePacer(0, 0)
	start := c.Now()
	for range 1000 {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if c.Now() != start {
		t.Fatalf("unlimited pacer waited %s", c.Now().Sub(start))
	}
}

func TestPacerBlock(t *testing.T) {
	p, c := fakePacer(5, 10*time.Second)
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	until := c.Now().Add(30 * time.Second)
	p.Block(until)
	p.Block(c.Now().Add(time.Second)) // never shortens a block
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Now().Before(until) {
		t.Fatalf("sent at %s, before the block ended at %s", c.Now(), until)
	}
}

// A block that arrives while a caller waits for its slot holds it back too.
func TestPacerBlockDuringWait(t *testing.T) {
	p, c := fakePacer(5, 10*time.Second)
	var until time.Time
	blocked := false
	p.sleep = func(ctx context.Context, d time.Duration) error {
		if err := c.Sleep(ctx, d); err != nil {
			return err
		}
		if !blocked {
			blocked = true
			until = c.Now().Add(time.Minute)
			p.Block(until)
		}
		return nil
	}
	for range 2 {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if !blocked || c.Now().Before(until) {
		t.Fatalf("second request sent at %s, block until %s (blocked %v)", c.Now(), until, blocked)
	}
}

func TestPacerCancelled(t *testing.T) {
	p := NewPacer(1, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	if err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on a cancelled context: %v, want context.Canceled", err)
	}
	p.Block(time.Now().Add(time.Hour))
	if err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait while blocked on a cancelled context: %v, want context.Canceled", err)
	}
}
