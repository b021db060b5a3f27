package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

const mb = 1e6

// WriteMarkdown renders the throughput result as a Markdown table.
func (r *ThroughputResult) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "%s, one hour partition of %d records, %.1f MB of Graph JSON (%s), unthrottled:\n\n",
		r.Stream, r.Records, float64(r.GraphBytes)/mb, strings.Join(r.Formats, "+")+".gz")
	fmt.Fprintln(w, "| run | wall s | records/s | MB/s | CPU s | CPU s/GB | MB/s per core | peak RSS MB | requests | stored MB | records stored | identical |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
	for _, run := range r.Runs {
		u := run.Usage
		gb := float64(r.GraphBytes) / 1e9
		stored, identical, records := "–", "–", "–"
		if run.Name != "fetch-only" {
			stored = fmt.Sprintf("%.1f", float64(run.Bytes)/mb)
			identical = yesNo(run.Identical)
			records = fmt.Sprint(run.Records)
		}
		fmt.Fprintf(w, "| %s | %.1f | %.0f | %.1f | %.2f | %.1f | %.1f | %.0f | %d | %s | %s | %s |\n",
			run.Name, u.Wall.Seconds(), float64(r.Records)/u.Wall.Seconds(), float64(r.GraphBytes)/mb/u.Wall.Seconds(),
			u.CPU().Seconds(), u.CPU().Seconds()/gb, float64(r.GraphBytes)/mb/u.CPU().Seconds(),
			float64(u.MaxRSS)/mb, run.Requests, stored, records, identical)
	}
	if a, s, ok := r.cpuRatio(); ok {
		fmt.Fprintf(w, "\nCPU of curl+jq+gzip / archiver (%s): %.1f× (%.1f s / %.1f s).\n", a.Name, s.Usage.CPU().Seconds()/a.Usage.CPU().Seconds(),
			s.Usage.CPU().Seconds(), a.Usage.CPU().Seconds())
	}
	fmt.Fprintln(w)
}

// cpuRatio pairs the first archiver run with the script baseline.
func (r *ThroughputResult) cpuRatio() (archiverRun, script Run, ok bool) {
	var haveA, haveS bool
	for _, run := range r.Runs {
		switch {
		case strings.HasPrefix(run.Name, "archiver") && !haveA:
			archiverRun, haveA = run, true
		case run.Name == "curl+jq+gzip":
			script, haveS = run, true
		}
	}
	return archiverRun, script, haveA && haveS && archiverRun.Usage.CPU() > 0
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f", d.Seconds()) }

// WriteMachine describes the machine the numbers come from.
func WriteMachine(w io.Writer) {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load average at start " + strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Fprintf(w, "Machine: %d CPUs (%s), %s/%s, %s%s.\n\n", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, runtime.Version(), load)
}
