package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/termsafe"
)

// cmdConfig is "config check": validate the configuration (exit 2 with
// every problem) and, with --online, prove it works against Entra, Graph
// and storage (exit 1 unless every check passes).
func cmdConfig(inv *invocation, args []string) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(inv.stderr, "usage: entra-archiver config check --config FILE [--online]")
		return ExitUsage
	}
	fs := inv.flagSet("config check")
	path := inv.configFlag(fs)
	online := fs.Bool("online", false, "also get a token for every tenant, run a one-record query of each stream and write and delete a probe blob")
	if code, ok := inv.parse(fs, args[1:]); !ok {
		return code
	}
	// Without --online nothing talks to Graph: its credentials are checked
	// for form only, as the other read-only commands do.
	inv.storageOnly, inv.checking = !*online, true
	cfg, ok := inv.loadConfig(*path)
	if !ok {
		return ExitUsage
	}
	jobs := 0
	for _, t := range cfg.Tenants {
		jobs += len(t.Settings.Streams)
	}
	fmt.Fprintf(inv.stdout, "%s: OK (%d tenants, %d jobs, storage %s, state %s)\n", termsafe.String(*path), len(cfg.Tenants), jobs,
		cfg.Storage.Type, termsafe.String(cfg.State.Describe()))
	if !*online {
		fmt.Fprintln(inv.stdout, "Graph credentials were checked for form only: --online gets a token for every tenant.")
		return ExitOK
	}
	return inv.checkOnline(cfg, app.OnlineOptions{})
}

// checkOnline runs the online checks and prints them as a table.
func (inv *invocation) checkOnline(cfg *config.Config, o app.OnlineOptions) int {
	log, _, err := app.NewLogger(cfg.Log, inv.logOutput(cfg))
	if err != nil {
		fmt.Fprintf(inv.stderr, "log.level: %v\n", err)
		return ExitUsage
	}
	defer log.Sync()
	o.Logger = log
	results := app.CheckOnline(inv.ctx, cfg, o)
	if err := writeChecks(inv.stdout, results); err != nil {
		fmt.Fprintf(inv.stderr, "entra-archiver: %v\n", err)
		return ExitFailure
	}
	for _, r := range results {
		if !r.OK {
			return ExitFailure
		}
	}
	return ExitOK
}

// writeChecks prints the results as an aligned table and a summary line.
// A detail may quote Entra's, Graph's or storage's error text: escaped
// before the table is laid out, so a tab or escape cannot move a column.
func writeChecks(w io.Writer, results []app.CheckResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tSTREAM\tCHECK\tRESULT\tDETAIL")
	failed := 0
	for _, r := range results {
		result := "OK"
		if !r.OK {
			result = "FAIL"
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", orDash(r.Tenant), orDash(r.Stream), r.Check, result, termsafe.String(r.Detail))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		_, err := fmt.Fprintf(w, "%d of %d checks failed\n", failed, len(results))
		return err
	}
	_, err := fmt.Fprintf(w, "all %d checks passed\n", len(results))
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
