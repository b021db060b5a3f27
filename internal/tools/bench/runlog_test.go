package bench

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCompletions(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	const settle = 15 * time.Minute
	period := time.Minute
	// line is a log line of a run of tenant/stream that finished at t0+fin
	// with its watermark at t0+at−settle.
	line := func(msg, job string, fin, at time.Duration) string {
		tenant, stream, _ := strings.Cut(job, "/")
		return fmt.Sprintf(`{"level":"info","time":%q,"logger":"job","msg":%q,"tenant":%q,"stream":%q,"watermark":%q,"records":3}`,
			t0.Add(fin).Format(time.RFC3339Nano), msg, tenant, stream, t0.Add(at-settle).Format(time.RFC3339))
	}
	started := fmt.Sprintf(`{"level":"info","time":%q,"msg":"started","jobs":4}`, t0.Format(time.RFC3339Nano))
	for _, tt := range []struct {
		name  string
		lines []string
		stop  time.Duration
		want  []time.Duration // sorted completions
		late  int
		ticks int
		fail  int
		skip  int
	}{{
		name: "every tick in time",
		lines: []string{started,
			line("run finished", "a/x", 5*time.Second, 0), line("run finished", "a/y", 9*time.Second, 0),
			line("run finished", "a/x", period+3*time.Second, period), line("run finished", "a/y", period+4*time.Second, period)},
		stop: 3 * period, want: []time.Duration{4 * time.Second, 9 * time.Second}, ticks: 2,
	}, {
		name: "a skipped tick is caught up by the next run, counted from its own tick",
		lines: []string{started,
			line("run finished", "a/x", 70*time.Second, 0),
			`{"level":"info","time":"2026-11-27T03:01:00Z","logger":"scheduler","msg":"previous run still going; skipping this tick","job":"a/x"}`,
			line("run finished", "a/x", 130*time.Second, 2*period+8*time.Second)},
		stop: 3 * period, want: []time.Duration{70 * time.Second, 70 * time.Second}, ticks: 2, skip: 1,
	}, {
		name: "a tick caught up after two periods is late; failed runs do not count",
		lines: []string{started,
			line("run failed", "a/x", 5*time.Second, 0), line("run finished", "a/x", 150*time.Second, 0),
			line("run finished", "b/x", 2*time.Second, 0)},
		stop: 2*period + 40*time.Second, want: []time.Duration{2 * time.Second, 150 * time.Second}, late: 1, ticks: 1, fail: 1,
	}, {
		name:  "a tick never caught up is late",
		lines: []string{started, line("run failed", "a/x", 5*time.Second, 0)},
		stop:  2*period + 30*time.Second, want: []time.Duration{150*time.Second + time.Nanosecond}, late: 1, ticks: 1, fail: 1,
	}, {
		name:  "the tenant being excluded is not judged",
		lines: []string{started, line("run finished", "big/x", 500*time.Second, 0), line("run finished", "a/x", time.Second, 0)},
		stop:  2 * period, want: []time.Duration{time.Second}, ticks: 1,
	}} {
		t.Run(tt.name, func(t *testing.T) {
			var l runLog
			for _, s := range tt.lines {
				// Split writes mid-line: the log must reassemble lines.
				b := []byte(s + "\n")
				l.Write(b[:len(b)/2])
				l.Write(b[len(b)/2:])
			}
			st := l.completions(schedule{stop: t0.Add(tt.stop), period: period, settle: settle},
				func(tenant string) bool { return tenant != "big" })
			if !slices.Equal(st.Completions, tt.want) || st.Late != tt.late || st.Ticks != tt.ticks || st.Failed != tt.fail || st.Skipped != tt.skip {
				t.Fatalf("got %v late %d ticks %d failed %d skipped %d; want %v late %d ticks %d failed %d skipped %d",
					st.Completions, st.Late, st.Ticks, st.Failed, st.Skipped, tt.want, tt.late, tt.ticks, tt.fail, tt.skip)
			}
		})
	}
}
