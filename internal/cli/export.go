package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/export"
	"github.com/entra-archiver/entra-archiver/internal/odata"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/termsafe"
)

// cmdExport writes one tenant's stream for a time range as csv, json or
// jsonl, to stdout or (atomically) to a file: the portal's Download, from
// the archive.
func cmdExport(inv *invocation, args []string) int {
	fs := inv.flagSet("export")
	path := inv.configFlag(fs)
	tenant := fs.String("tenant", "", "tenant (config name); required")
	stream := fs.String("stream", "", "stream; required")
	from := fs.String("from", "", "start of the range (RFC 3339 or YYYY-MM-DD, UTC); required")
	to := fs.String("to", "", "end of the range, exclusive; required")
	formatName := fs.String("format", "", "csv, json or jsonl; required")
	where := fs.String("where", "", "keep only records matching this OData filter (Graph's $filter syntax)")
	out := fs.String("o", "", "write to `file` instead of stdout, replacing it only when complete; a .gz name is compressed")
	allVersions := fs.Bool("all-versions", false, "export every version of a revised record, not only the latest")
	allowGaps := fs.Bool("allow-gaps", false, "export what the archive holds of a range it does not cover whole, listing the gaps on stderr")
	columns := fs.String("columns", export.ColumnsGraph, "csv columns: graph (one per Graph property, docs/csv-columns.md) or portal (the Entra portal's download, docs/portal-columns.md)")
	rawCSV := fs.Bool("raw-csv", false, "write csv cells as they are; by default a cell a spreadsheet would run as a formula (= + - @ first) gets a leading '")
	bom := fs.Bool("bom", false, "start csv with a UTF-8 byte order mark, for Excel")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: entra-archiver export --config FILE --tenant T --stream S --from TIME --to TIME")
		fmt.Fprintln(fs.Output(), "                             --format csv|json|jsonl [--where EXPR] [-o FILE] [--all-versions] [--allow-gaps]")
		fmt.Fprintln(fs.Output(), "                             [--columns graph|portal] [--raw-csv] [--bom]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Writes the archived records with event time in [from, to), oldest first, in the")
		fmt.Fprintln(fs.Output(), "format of the portal's Download. --where takes the filter syntax of Graph's $filter,")
		fmt.Fprintln(fs.Output(), "e.g. \"status/errorCode ne 0 and startswith(userPrincipalName,'admin')\"; strings")
		fmt.Fprintln(fs.Output(), "compare without regard to case, as Graph does, except on provisioning.")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "The export is checked: a partition of the range the archive does not prove it covered")
		fmt.Fprintln(fs.Output(), "(before its start, or below the watermark without its p000) fails it unless --allow-gaps;")
		fmt.Fprintln(fs.Output(), "a part that differs from its metadata or manifest, or is missing, always fails it.")
		fmt.Fprintln(fs.Output(), "Exit status: 0 exported, 1 a gap, damage or failing storage, 2 a usage or configuration error.")
		fmt.Fprintln(fs.Output(), "A failure found while writing to stdout leaves an incomplete export there: discard it;")
		fmt.Fprintln(fs.Output(), "-o FILE is replaced only by a complete, checked export.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if code, ok := inv.parse(fs, args); !ok {
		return code
	}
	w, err := parseRange(*from, *to)
	if err == nil && (*tenant == "" || *stream == "") {
		err = errors.New("--tenant and --stream are required")
	}
	if err == nil {
		err = checkExportFormat(*formatName)
	}
	st, known := audit.StreamByName(*stream)
	if err == nil && !known {
		err = fmt.Errorf("unknown stream %q (known: %s)", *stream, strings.Join(audit.StreamNames(), ", "))
	}
	if err != nil {
		fmt.Fprintf(inv.stderr, "export: %v\n", err)
		return ExitUsage
	}
	o := export.Options{Tenant: *tenant, Stream: st, From: w.From, To: w.To, Format: *formatName,
		AllVersions: *allVersions, AllowGaps: *allowGaps, Columns: *columns, RawCSV: *rawCSV, BOM: *bom}
	if err := o.CheckCSVOptions(); err != nil {
		fmt.Fprintf(inv.stderr, "export: %v\n", err)
		return ExitUsage
	}
	if *where != "" {
		if o.Where, err = export.Compile(st, *where); err != nil {
			var se *odata.SyntaxError
			if errors.As(err, &se) {
				fmt.Fprintf(inv.stderr, "export: --where: %v\n  %s\n", se, strings.ReplaceAll(se.Caret(), "\n", "\n  "))
			} else {
				fmt.Fprintf(inv.stderr, "export: --where: %v\n", err)
			}
			return ExitUsage
		}
		for _, p := range export.UnknownProperties(st, *where) {
			fmt.Fprintf(inv.stderr, "export: warning: --where: %q is not a documented property of %s (docs/csv-columns.md); "+
				"records without it compare as null. Check the spelling if it is not a property Graph added lately.\n", p, st.Name)
		}
	}
	cfg, ok := inv.loadConfig(*path)
	if !ok {
		return ExitUsage
	}
	if _, ok := cfg.Tenant(*tenant); !ok {
		fmt.Fprintf(inv.stderr, "export: no tenant %q in the configuration\n", *tenant)
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
	bar := progress.New(inv.stderr, "export")
	o.Progress = bar
	var stats export.Stats
	stdout := &countingWriter{w: inv.stdout}
	if *out != "" {
		stats, err = rdr.Export(inv.ctx, o, *out, nil)
	} else {
		// On failure the buffer is not flushed: what reached stdout stops
		// short (a json export lacks its closing bracket), never looks whole.
		bw := bufio.NewWriterSize(stdout, 256<<10)
		if stats, err = rdr.Export(inv.ctx, o, "", bw); err == nil {
			err = bw.Flush()
		}
	}
	bar.Done()
	writeCoverage(inv.stderr, o, stats.Coverage, rdr.StateName(*tenant, st))
	if err != nil {
		switch {
		case *out != "":
			err = fmt.Errorf("%w; %s was left as it was", err, *out)
		case stdout.n > 0:
			err = fmt.Errorf("%w; the export on stdout stops short of it: discard it", err)
		}
		return inv.report(fmt.Errorf("export: %w", err))
	}
	if stats.Overflowed > 0 {
		fmt.Fprintf(inv.stderr, "export: warning: %d records held more targets, modified properties or additional details than the portal's columns show; "+
			"their rows show the first ones (docs/portal-columns.md), the jsonl export keeps everything\n", stats.Overflowed)
	}
	if *out != "" {
		fmt.Fprintf(inv.stderr, "exported %d records from %d partitions to %s\n", stats.Records, stats.Partitions, *out)
	}
	return ExitOK
}

// writeCoverage tells on stderr what the archive holds of the range
// besides what was exported: no job state, known losses, gaps (exported
// around with --allow-gaps; without it the error names them) and a range
// past the watermark. Reasons come from the state and the manifests.
func writeCoverage(w io.Writer, o export.Options, cov export.Coverage, stateName string) {
	job := termsafe.String(o.Tenant + "/" + o.Stream.Name)
	stateName = termsafe.String(stateName)
	if cov.StateMissing {
		fmt.Fprintf(w, "export: warning: %s has no job state (%s), so its coverage is judged by the archive alone: "+
			"from its oldest partition on, every partition must have a p000; lost spans are known only from the manifests that seal them\n", job, stateName)
	}
	for _, l := range cov.Lost {
		fmt.Fprintf(w, "export: known loss: %s [%s, %s) %s: %s\n", job, audit.FormatTime(l.From), audit.FormatTime(l.To), l.What(), termsafe.String(l.Reason))
	}
	if o.AllowGaps {
		for _, g := range cov.Gaps {
			fmt.Fprintf(w, "export: gap: %s %s; exported what the archive holds (--allow-gaps)\n", job, termsafe.String(g.String()))
		}
	} else if len(cov.Gaps) > 1 {
		for _, g := range cov.Gaps {
			fmt.Fprintf(w, "export: gap: %s %s\n", job, termsafe.String(g.String()))
		}
	}
	if cov.PastWatermark {
		fmt.Fprintf(w, "export: warning: the range ends after the watermark of %s (%s): the job has not archived past it yet, so later records may still come\n",
			job, audit.FormatTime(cov.Watermark))
	}
}

func checkExportFormat(f string) error {
	switch f {
	case "csv", "json", "jsonl":
		return nil
	case "":
		return errors.New("--format is required (csv, json or jsonl)")
	}
	return fmt.Errorf("--format %q: want csv, json or jsonl", f)
}

// countingWriter counts the bytes that reached w.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
