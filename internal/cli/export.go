package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/export"
	"github.com/entra-archiver/entra-archiver/internal/odata"
	"github.com/entra-archiver/entra-archiver/internal/progress"
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
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: entra-archiver export --config FILE --tenant T --stream S --from TIME --to TIME")
		fmt.Fprintln(fs.Output(), "                             --format csv|json|jsonl [--where EXPR] [-o FILE] [--all-versions]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Writes the archived records with event time in [from, to), oldest first, in the")
		fmt.Fprintln(fs.Output(), "format of the portal's Download. --where takes the filter syntax of Graph's $filter,")
		fmt.Fprintln(fs.Output(), "e.g. \"status/errorCode ne 0 and startswith(userPrincipalName,'admin')\"; strings")
		fmt.Fprintln(fs.Output(), "compare without regard to case, as Graph does, except on provisioning.")
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
	o := export.Options{Tenant: *tenant, Stream: st, From: w.From, To: w.To, Format: *formatName, AllVersions: *allVersions}
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
	t, ok := cfg.Tenant(*tenant)
	if !ok {
		fmt.Fprintf(inv.stderr, "export: no tenant %q in the configuration\n", *tenant)
		return ExitUsage
	}
	o.Partition = t.Settings.Partition
	log, _, err := app.NewLogger(cfg.Log, inv.stderr)
	if err != nil {
		fmt.Fprintf(inv.stderr, "log.level: %v\n", err)
		return ExitUsage
	}
	defer log.Sync()
	storage, err := app.OpenArchive(inv.ctx, cfg, log)
	if err != nil {
		return inv.report(fmt.Errorf("open storage: %w", err))
	}
	o.Sink, o.Layout = storage.Sink, storage.Layout
	// The archive's granularity is the one its state records; reading with
	// another would find no partitions and export nothing, silently.
	if st, _, found, err := storage.State.Load(inv.ctx, *tenant, *stream); err != nil {
		return inv.report(err)
	} else if found && st.Partition != "" && st.Partition != o.Partition.String() {
		fmt.Fprintf(inv.stderr, "export: the archive of %s/%s is in %s partitions but the configuration says partition: %s; set partition: %s for this tenant\n",
			*tenant, *stream, st.Partition, o.Partition, st.Partition)
		return ExitUsage
	}
	bar := progress.New(inv.stderr, "export")
	o.Progress = bar
	var stats export.Stats
	if *out != "" {
		stats, err = export.ToFile(inv.ctx, o, *out)
	} else {
		bw := bufio.NewWriterSize(inv.stdout, 256<<10)
		stats, err = export.Run(inv.ctx, o, bw)
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
	}
	bar.Done()
	if err != nil {
		return inv.report(fmt.Errorf("export: %w", err))
	}
	if *out != "" {
		fmt.Fprintf(inv.stderr, "exported %d records from %d partitions to %s\n", stats.Records, stats.Partitions, *out)
	}
	return ExitOK
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
