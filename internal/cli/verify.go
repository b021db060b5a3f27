package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/termsafe"
	"github.com/entra-archiver/entra-archiver/internal/verify"
)

// cmdVerify re-reads the archive of the configured jobs and prints every
// fault as "FAULT <blob>: <problem>", every known loss as "KNOWN LOSS" and
// every job's quarantined records as "QUARANTINED" (information, not faults),
// then a summary. Exit 1 on any fault or when the check could not be
// completed.
func cmdVerify(inv *invocation, args []string) int {
	fs := inv.flagSet("verify")
	path := inv.configFlag(fs)
	tenant := fs.String("tenant", "", "only this tenant (config name)")
	stream := fs.String("stream", "", "only this stream")
	from := fs.String("from", "", "only partitions from this time on (RFC 3339 or YYYY-MM-DD, UTC)")
	to := fs.String("to", "", "only partitions before this time")
	headsFile := fs.String("heads", "", "check that the chain heads recorded in `file` are still in their streams' chains")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: entra-archiver verify --config FILE [--tenant T] [--stream S] [--from TIME] [--to TIME] [--heads FILE]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Re-reads the archive: sha256 and record counts against each blob's metadata, every file")
		fmt.Fprintln(fs.Output(), "parses, records in order and in their partition, no record stored twice, parts without")
		fmt.Fprintln(fs.Output(), "gaps, a p000 for every partition below the watermark, and the manifest hash chain;")
		fmt.Fprintln(fs.Output(), "each quarantined record against its name (its SHA-256) and the state's count.")
		fmt.Fprintln(fs.Output(), "Prints each fault as \"FAULT <blob>: <problem>\" and exits 1 if there is any.")
		fmt.Fprintln(fs.Output(), "Spans Graph no longer served (\"KNOWN LOSS\") and quarantined records (\"QUARANTINED\")")
		fmt.Fprintln(fs.Output(), "are printed as information: they alone do not make verify fail.")
		fmt.Fprintln(fs.Output(), "--heads FILE takes chain heads recorded earlier elsewhere: lines \"tenant/stream manifest")
		fmt.Fprintln(fs.Output(), "sha256\", the output of status --json, or the seal log lines; a head no longer in its")
		fmt.Fprintln(fs.Output(), "chain (the chain was rewritten, even consistently) is a fault.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if code, ok := inv.parse(fs, args); !ok {
		return code
	}
	w, err := parseBounds(*from, *to)
	if err != nil {
		fmt.Fprintf(inv.stderr, "verify: %v\n", err)
		return ExitUsage
	}
	cfg, ok := inv.loadConfig(*path)
	if !ok {
		return ExitUsage
	}
	var heads []verify.Head
	jobs, err := app.VerifyJobs(cfg, *tenant, *stream)
	if err == nil && *headsFile != "" {
		if heads, err = readHeads(*headsFile); err == nil {
			err = app.CheckHeads(cfg, heads)
		}
	}
	if err != nil {
		fmt.Fprintf(inv.stderr, "verify: %s\n", termsafe.String(err.Error())) // may quote the heads file
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
	started := time.Now()
	bar := progress.New(inv.stderr, "verify")
	rep, err := rdr.Verify(inv.ctx, verify.Options{Jobs: jobs, From: w.From, To: w.To, Heads: heads, Progress: bar})
	bar.Done()
	// Blob names come from a listing and problems quote blobs' content
	// (ids, metadata), so both may hold anything.
	for _, f := range rep.Faults {
		fmt.Fprintf(inv.stdout, "FAULT %s: %s\n", termsafe.String(f.Blob), termsafe.String(f.Problem))
	}
	writeKnown(inv.stdout, rep.Jobs)
	verdict := "no faults"
	if n := len(rep.Faults); n > 0 {
		verdict = fmt.Sprintf("%d fault(s)", n)
	}
	if err != nil {
		verdict += ", then stopped"
	}
	checkedHeads := ""
	if *headsFile != "" {
		checkedHeads = fmt.Sprintf(", %d recorded chain head(s)", rep.Heads)
	}
	fmt.Fprintf(inv.stdout, "verified %d job(s): %d partitions, %d blobs, %d records, %s%s in %s: %s\n",
		len(jobs), rep.Partitions, rep.Blobs, rep.Records, progress.FormatBytes(rep.Bytes), checkedHeads,
		time.Since(started).Round(time.Millisecond), verdict)
	log.Info("verify finished", zap.Int("partitions", rep.Partitions), zap.Int("blobs", rep.Blobs),
		zap.Int64("records", rep.Records), zap.Int("faults", len(rep.Faults)), zap.Error(err))
	if err != nil {
		return inv.report(fmt.Errorf("verify could not finish: %w", err))
	}
	if len(rep.Faults) > 0 {
		return ExitFailure
	}
	return ExitOK
}

// writeKnown prints each job's known losses and quarantined records.
func writeKnown(w io.Writer, jobs []verify.JobInfo) {
	for _, j := range jobs {
		for _, l := range j.Lost {
			fmt.Fprintf(w, "KNOWN LOSS %s/%s [%s, %s) %s: %s (known loss, not a fault)\n", j.Tenant, j.Stream,
				audit.FormatTime(l.From), audit.FormatTime(l.To), l.What(), termsafe.String(l.Reason))
		}
		if j.Quarantined > 0 {
			fmt.Fprintf(w, "QUARANTINED %s/%s: %d record(s) Graph served without a readable id or time or not as valid JSON, in %s (not a fault)\n",
				j.Tenant, j.Stream, j.Quarantined, termsafe.String(j.QuarantineDir))
		}
	}
}

// parseBounds parses the optional --from and --to (zero when absent).
func parseBounds(from, to string) (audit.Window, error) {
	var w audit.Window
	var err error
	if from != "" {
		if w.From, err = parseTime(from); err != nil {
			return w, fmt.Errorf("--from: %w", err)
		}
	}
	if to != "" {
		if w.To, err = parseTime(to); err != nil {
			return w, fmt.Errorf("--to: %w", err)
		}
	}
	if from != "" && to != "" && !w.From.Before(w.To) {
		return w, fmt.Errorf("--from %s is not before --to %s", from, to)
	}
	return w, nil
}

// readHeads reads the recorded chain heads of --heads.
func readHeads(path string) ([]verify.Head, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--heads: %w", err)
	}
	defer f.Close()
	heads, err := verify.ParseHeads(f, path)
	if err != nil {
		return nil, fmt.Errorf("--heads: %w", err)
	}
	return heads, nil
}
