package fakeclock

import (
	"context"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	c := New(t0)
	c.Advance(time.Minute)
	if err := c.Sleep(context.Background(), time.Second); err != nil || !c.Now().Equal(t0.Add(61*time.Second)) {
		t.Fatalf("now %s, err %v", c.Now(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, time.Hour); err == nil || !c.Now().Equal(t0.Add(61*time.Second)) {
		t.Fatal("a cancelled sleep moved the clock")
	}
	c.Set(t0)
	if !c.Now().Equal(t0) {
		t.Fatal("Set")
	}
}
