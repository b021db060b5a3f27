package status

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/termsafe"
)

// WriteText writes the report for a terminal: an aligned table with one row
// per job; then, where there are any, the known losses span by span, the
// quarantined records and the tenants near their Graph budget; then one
// coverage line per job with a character per day.
func WriteText(w io.Writer, r Report) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tSTREAM\tWATERMARK\tLAG\tLAST-RUN\tRESULT\tRISK\tLOST\tQUARANTINED\tNEED\tERROR")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", termsafe.String(row.Tenant), termsafe.String(streamText(row)),
			watermarkText(row), lagText(row), lastRunText(row), resultText(row), riskText(row),
			lostText(row), quarantinedText(row), needText(row), oneLine(errorText(row)))
	}
	tw.Flush()
	if slices.ContainsFunc(r.Rows, func(r Row) bool { return !r.Configured }) {
		fmt.Fprintln(&b, "(not configured): "+notConfigured)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "Only the configured streams are shown: cannot %s\n", oneLine(r.Error))
	}
	writeLosses(&b, r.Rows)
	writeQuarantine(&b, r.Rows)
	writeBudget(&b, r.Rows)
	if len(r.Coverage) > 0 && len(r.Coverage[0].Days) > 0 {
		days := r.Coverage[0].Days
		fmt.Fprintf(&b, "\nCOVERAGE %s .. %s (one character per day: # complete, + partial, ! gap, x known loss, . none, ? unknown)\n",
			dateText(days[0].Date), dateText(days[len(days)-1].Date))
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, c := range r.Coverage {
			var line strings.Builder
			var records int64
			for _, d := range c.Days {
				line.WriteString(d.State.Symbol())
				records += d.Records
			}
			fmt.Fprintf(tw, "%s/%s\t%s\t%d records\n", termsafe.String(c.Tenant), termsafe.String(c.Stream), line.String(), records)
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

// notConfigured explains the rows of streams the configuration does not
// list.
const notConfigured = "found in storage, but the configuration does not list it, so it is not archived any more"

// streamText marks a stream the configuration does not list.
func streamText(r Row) string {
	if !r.Configured {
		return r.Stream + " (not configured)"
	}
	return r.Stream
}

// writeLosses lists every lost span of every job.
func writeLosses(b *bytes.Buffer, rows []Row) {
	if !slices.ContainsFunc(rows, Row.KnownLoss) {
		return
	}
	fmt.Fprintln(b, "\nKNOWN LOSSES (Graph no longer served these spans when the archiver got there; not gaps, not faults)")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		for _, l := range row.Lost {
			fmt.Fprintf(tw, "%s/%s\t%s\t%s .. %s\t%s\t%s\n", termsafe.String(row.Tenant), termsafe.String(row.Stream), lostKind(l),
				timeText(l.From), timeText(l.To), FormatLag(l.To.Sub(l.From)), oneLine(l.Reason))
		}
	}
	tw.Flush()
}

// lostKind says what was lost of a span.
func lostKind(l LostSpan) string {
	if l.Never() {
		return "never read"
	}
	return "missed recheck at " + ageText(l.Recheck)
}

// writeQuarantine says where each job's quarantined records are.
func writeQuarantine(b *bytes.Buffer, rows []Row) {
	if !slices.ContainsFunc(rows, func(r Row) bool { return r.Quarantined > 0 }) {
		return
	}
	fmt.Fprintln(b, "\nQUARANTINED RECORDS (served by Graph without a readable id or time, or not as valid JSON; kept raw, not archived)")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		if row.Quarantined > 0 {
			fmt.Fprintf(tw, "%s/%s\t%d\t%s\n", termsafe.String(row.Tenant), termsafe.String(row.Stream), row.Quarantined, termsafe.String(row.QuarantineDir))
		}
	}
	tw.Flush()
}

// writeBudget names each tenant that needs capacity.Warn or more of its
// Graph budget, once, and what to do about it.
func writeBudget(b *bytes.Buffer, rows []Row) {
	var high []Row
	for _, row := range rows {
		if row.BudgetNeedHigh() && !slices.ContainsFunc(high, func(h Row) bool { return h.Tenant == row.Tenant }) {
			high = append(high, row)
		}
	}
	if len(high) == 0 {
		return
	}
	fmt.Fprintln(b, "\nGRAPH BUDGET (requests a day the tenant's streams need, of what its rate_limit allows)")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, row := range high {
		verdict := "near its budget: it falls behind on a busy day"
		if row.BudgetNeedRatio >= 1 {
			verdict = "over its budget: it falls further behind every day"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s; %s\n", termsafe.String(row.Tenant), percent(row.BudgetNeedRatio), verdict, BudgetAdvice)
	}
	tw.Flush()
}

// BudgetAdvice is what to do about a tenant near or over its Graph budget.
const BudgetAdvice = "drop recheck ages of a stream, read some streams with a second app registration, or export the largest with diagnostic settings"

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
		return "not started" // its runs failed before it could
	}
	return timeText(r.Watermark)
}

func lagText(r Row) string {
	if r.Lag == nil {
		return "-"
	}
	return FormatLag(time.Duration(*r.Lag))
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
	case r.NeverSucceeded:
		return r.LastRun.Result + " (never succeeded)"
	}
	return r.LastRun.Result
}

// lostText is the never-read total and the number of spans only a recheck
// missed.
func lostText(r Row) string {
	var parts []string
	if r.LostSeconds > 0 {
		parts = append(parts, FormatLag(time.Duration(r.LostSeconds)))
	}
	if n := len(r.Lost) - countNever(r.Lost); n > 0 {
		parts = append(parts, fmt.Sprintf("%d recheck", n))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "+")
}

func countNever(spans []LostSpan) int {
	n := 0
	for _, l := range spans {
		if l.Never() {
			n++
		}
	}
	return n
}

func quarantinedText(r Row) string {
	if r.Quarantined == 0 {
		return "-"
	}
	return strconv.FormatInt(r.Quarantined, 10)
}

// needText is the tenant's budget need in percent, flagged from
// capacity.Warn on.
func needText(r Row) string {
	switch {
	case r.BudgetNeedRatio <= 0:
		return "-"
	case r.BudgetNeedHigh():
		return percent(r.BudgetNeedRatio) + "-HIGH"
	}
	return percent(r.BudgetNeedRatio)
}

// percent renders a ratio as a whole percentage, rounded down so that a
// ratio under capacity.Warn never reads as 80%.
func percent(ratio float64) string {
	return strconv.FormatFloat(math.Floor(ratio*100), 'f', 0, 64) + "%"
}

// ageText shortens a recheck age as the state keys it ("72h0m0s") to how a
// configuration writes it ("72h").
func ageText(age string) string {
	d, err := time.ParseDuration(age)
	if err != nil {
		return age
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
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

// oneLine keeps a multi-line error on its table row, terminal-safe: errors
// and reasons quote Graph's and storage's texts.
func oneLine(s string) string {
	return termsafe.String(strings.Join(strings.Fields(s), " "))
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
