package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/status"
	"github.com/entra-archiver/entra-archiver/internal/termsafe"
)

// cmdStatus prints each job's watermark, lag, last run, retention risk, known
// losses, quarantined records and its tenant's Graph budget need, and the
// coverage of the last days, read from storage. It reports: a job
// whose last run failed still exits 0; only storage that cannot be read
// exits 1.
func cmdStatus(inv *invocation, args []string) int {
	fs := inv.flagSet("status")
	path := inv.configFlag(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: entra-archiver status --config FILE [--json]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Shows per job (tenant × stream) the watermark, lag, last run, result and retention")
		fmt.Fprintln(fs.Output(), "risk; the spans Graph no longer served (LOST: never read, or missed by a recheck) and")
		fmt.Fprintln(fs.Output(), "the records it served without an id or time (QUARANTINED); the share of its tenant's")
		fmt.Fprintln(fs.Output(), "Graph request budget the tenant needs (NEED, flagged HIGH from 80 %); and the coverage")
		fmt.Fprintf(fs.Output(), "of the last %d days, as read from storage. Streams found in storage that the\n", status.DefaultDays)
		fmt.Fprintln(fs.Output(), "configuration does not list are shown too, marked \"(not configured)\".")
		fmt.Fprintln(fs.Output(), "Exit status: 0 when the report could be read (even if jobs failed: it reports them),")
		fmt.Fprintln(fs.Output(), "1 when storage or a job's state cannot be read, 2 on a usage or configuration error.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if code, ok := inv.parse(fs, args); !ok {
		return code
	}
	cfg, ok := inv.loadConfig(*path)
	if !ok {
		return ExitUsage
	}
	log, _, err := app.NewLogger(cfg.Log, inv.logOutput(cfg))
	if err != nil {
		fmt.Fprintf(inv.stderr, "log.level: %v\n", err)
		return ExitUsage
	}
	defer log.Sync()
	rdr, err := app.OpenReader(inv.ctx, cfg, log)
	if err != nil {
		return inv.report(err)
	}
	rep, err := rdr.Status(inv.ctx, time.Now)
	if err != nil {
		return inv.report(err)
	}
	if *asJSON {
		// encoding/json escapes C0 controls but leaves C1 controls and
		// bidirectional overrides raw: escaped too, the values unchanged.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err = enc.Encode(rep); err == nil {
			_, err = inv.stdout.Write(termsafe.JSON(b.Bytes()))
		}
	} else {
		err = status.WriteText(inv.stdout, rep)
	}
	if err != nil {
		return inv.report(err)
	}
	unreadable := 0
	for _, r := range rep.Rows {
		if r.Error != "" {
			unreadable++
		}
	}
	if rep.Error != "" {
		fmt.Fprintf(inv.stderr, "entra-archiver: cannot %s\n", rep.Error)
		return ExitFailure
	}
	if unreadable > 0 {
		fmt.Fprintf(inv.stderr, "entra-archiver: the status of %d of %d jobs could not be read from storage\n", unreadable, len(rep.Rows))
		return ExitFailure
	}
	return ExitOK
}
