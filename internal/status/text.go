package status

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes the report for a terminal: an aligned table with one row
// per job, then one coverage line per job with a character per day.
func WriteText(w io.Writer, r Report) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tSTREAM\tWATERMARK\tLAG\tLAST-RUN\tRESULT\tRISK\tERROR")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Tenant, row.Stream,
			watermarkText(row), lagText(row), lastRunText(row), resultText(row), riskText(row), oneLine(errorText(row)))
	}
	tw.Flush()
	if len(r.Coverage) > 0 && len(r.Coverage[0].Days) > 0 {
		days := r.Coverage[0].Days
		fmt.Fprintf(&b, "\nCOVERAGE %s .. %s (one character per day: # complete, + partial, ! gap, . none, ? unknown)\n",
			dateText(days[0].Date), dateText(days[len(days)-1].Date))
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, c := range r.Coverage {
			var line strings.Builder
			var records int64
			for _, d := range c.Days {
				line.WriteString(d.State.Symbol())
				records += d.Records
			}
			fmt.Fprintf(tw, "%s/%s\t%s\t%d records\n", c.Tenant, c.Stream, line.String(), records)
		}
		tw.Flush()
	}
	// Empty last cells leave padding behind.
	var out strings.Builder
	for line := range strings.Lines(b.String()) {
		out.WriteString(strings.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// timeText renders an instant to the minute, in UTC.
func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

func dateText(t time.Time) string { return t.UTC().Format("2006-01-02") }

func watermarkText(r Row) string {
	switch {
	case r.Error != "" && r.Watermark.IsZero():
		return "?"
	case r.NeverRun:
		return "never run"
	case r.Watermark.IsZero():
		return "-"
	}
	return timeText(r.Watermark)
}

func lagText(r Row) string {
	if r.NeverRun || r.Watermark.IsZero() {
		return "-"
	}
	return FormatLag(time.Duration(r.Lag))
}

func lastRunText(r Row) string {
	if r.LastRun == nil {
		return "-"
	}
	if r.LastRun.Finished.IsZero() {
		return timeText(r.LastRun.Started)
	}
	return timeText(r.LastRun.Finished)
}

func resultText(r Row) string {
	switch {
	case r.Error != "":
		return "unreadable"
	case r.LastRun == nil:
		return "-"
	}
	return r.LastRun.Result
}

func riskText(r Row) string {
	if r.RetentionRisk {
		return "AT-RISK"
	}
	return "-"
}

// errorText is why the row could not be read, else the last run's error.
func errorText(r Row) string {
	if r.Error != "" {
		return r.Error
	}
	if r.LastRun != nil {
		return r.LastRun.Error
	}
	return ""
}

// oneLine keeps a multi-line error on its table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// FormatLag renders a lag compactly with its two largest units: 45s, 12m30s,
// 3h05m, 6d12h.
func FormatLag(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Truncate(time.Second)
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	h, rest := rest/time.Hour, rest%time.Hour
	m, s := rest/time.Minute, (rest%time.Minute)/time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%s%dd%02dh", sign, days, h)
	case h > 0:
		return fmt.Sprintf("%s%dh%02dm", sign, h, m)
	case m > 0:
		return fmt.Sprintf("%s%dm%02ds", sign, m, s)
	}
	return fmt.Sprintf("%s%ds", sign, s)
}
