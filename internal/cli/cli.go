// Package cli is the command line of entra-archiver: it parses flags, loads
// the configuration, turns signals into context cancellation and errors into
// exit codes (0 ok, 1 runtime failure, 2 usage or configuration error). The
// work itself is done by package app.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"

	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/termsafe"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// env is the process environment as a lookup.
type env []string

func (e env) get(key string) string {
	for i := len(e) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// invocation carries what every command needs.
type invocation struct {
	stdout, stderr io.Writer
	env            env
	ctx            context.Context
	// storageOnly: the command only reads the archive, so the tenants'
	// Graph credentials are never resolved (DESIGN.md "Read-only
	// commands").
	storageOnly bool
	// daemon: the command is the daemon, whose logs go to a collector.
	daemon bool
	// checking: config check, which warns about what other commands will
	// need.
	checking bool
	// isTerminal tells whether a writer is a terminal (tests replace it).
	isTerminal func(io.Writer) bool
}

type command struct {
	name    string
	summary string
	run     func(inv *invocation, args []string) int
	// storageOnly commands read the archive and never talk to Graph.
	storageOnly bool
}

func commands() []command {
	return []command{
		{"run", "daemon: schedules, /metrics, graceful SIGTERM", cmdRun, false},
		{"once", "catch every job up to now - settle, then exit", cmdOnce, false},
		{"backfill", "archive an explicit time range of one tenant and stream", cmdBackfill, false},
		{"verify", "re-read the archive and check it against its metadata and manifests", cmdVerify, true},
		{"export", "the portal's Download, from the archive", cmdExport, true},
		{"status", "watermarks, lag, last run and retention risk per job", cmdStatus, true},
		{"config", "config check: validate a configuration file", cmdConfig, false},
		{"demo", "archive a simulated tenant into ./demo-archive (no Azure account needed)", cmdDemo, false},
		{"version", "print the version", cmdVersion, false},
	}
}

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer, environ []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return MainContext(ctx, args, stdout, stderr, environ)
}

// MainContext is Main with a caller-provided context (tests cancel it
// instead of sending signals).
func MainContext(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) int {
	inv := &invocation{stdout: stdout, stderr: stderr, env: env(environ), ctx: ctx, isTerminal: progress.IsTerminal}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			inv.storageOnly, inv.daemon = c.storageOnly, c.name == "run"
			return c.run(inv, args[1:])
		}
	}
	fmt.Fprintf(stderr, "entra-archiver: unknown command %q\n\n", args[0])
	usage(stderr)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: entra-archiver <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command but demo and version takes --config FILE (default $ENTRA_ARCHIVER_CONFIG).")
	fmt.Fprintln(w, "Run 'entra-archiver <command> -h' for its flags.")
}

// flagSet returns a FlagSet that reports errors to stderr without exiting.
func (inv *invocation) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("entra-archiver "+name, flag.ContinueOnError)
	fs.SetOutput(inv.stderr)
	return fs
}

// parse parses flags and rejects positional leftovers. ok false means the
// caller returns code.
func (inv *invocation) parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, false
		}
		return ExitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(inv.stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return ExitUsage, false
	}
	return 0, true
}

// configFlag registers --config with its environment default.
func (inv *invocation) configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", inv.env.get("ENTRA_ARCHIVER_CONFIG"), "configuration `file` (default $ENTRA_ARCHIVER_CONFIG)")
}

// loadConfig loads and validates the configuration, printing every problem
// and warning. ok false means exit 2.
func (inv *invocation) loadConfig(path string) (*config.Config, bool) {
	if path == "" {
		fmt.Fprintln(inv.stderr, "entra-archiver: no configuration: pass --config FILE or set ENTRA_ARCHIVER_CONFIG")
		return nil, false
	}
	var opts []config.LoadOption
	if inv.storageOnly {
		opts = append(opts, config.StorageOnly())
	}
	if inv.checking {
		opts = append(opts, config.WarnUnresolvedSecrets())
	}
	cfg, warnings, err := config.Load(path, inv.env, opts...)
	if cfg != nil && !inv.daemon && inv.isTerminal(inv.stderr) {
		// A person reads a command's output on a terminal: log lines are
		// human text there, JSON only where they are piped or collected
		// (and always for the daemon).
		cfg.Log.Format = "console"
	}
	// Warnings and problems quote values of the configuration file.
	for _, w := range warnings {
		fmt.Fprintf(inv.stderr, "warning: %s\n", termsafe.String(w))
	}
	if err != nil {
		var problems *config.Errors
		if errors.As(err, &problems) {
			fmt.Fprintf(inv.stderr, "%s: %d problem(s):\n", termsafe.String(path), len(problems.Problems))
			for _, p := range problems.Problems {
				fmt.Fprintf(inv.stderr, "  %s\n", termsafe.String(p.String()))
			}
		} else {
			fmt.Fprintf(inv.stderr, "%s: %s\n", termsafe.String(path), termsafe.Lines(err.Error()))
		}
		return nil, false
	}
	return cfg, true
}

// logOutput is where a command's log lines go: stderr, escaped when they are
// console text for a person (a log field may quote Graph's error text or a
// blob name). JSON lines are for collectors; encoding/json escapes their
// control characters.
func (inv *invocation) logOutput(cfg *config.Config) io.Writer {
	if cfg.Log.Format == "console" {
		return termsafe.NewWriter(inv.stderr)
	}
	return inv.stderr
}
