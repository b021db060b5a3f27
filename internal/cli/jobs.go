package cli

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/termsafe"
	"github.com/entra-archiver/entra-archiver/internal/version"
)

// openApp builds the logger and the app for a loaded configuration.
func (inv *invocation) openApp(cfg *config.Config, o app.Options) (*app.App, *zap.Logger, int) {
	log, level, err := app.NewLogger(cfg.Log, inv.logOutput(cfg))
	if err != nil {
		fmt.Fprintf(inv.stderr, "log.level: %v\n", err)
		return nil, nil, ExitUsage
	}
	o.Config, o.Logger, o.LogLevel, o.Version = cfg, log, &level, version.String()
	a, err := app.New(inv.ctx, o)
	if err != nil {
		log.Error("cannot start", zap.Error(err))
		inv.printError(err)
		return nil, log, ExitFailure
	}
	return a, log, ExitOK
}

func cmdOnce(inv *invocation, args []string) int {
	fs := inv.flagSet("once")
	path := inv.configFlag(fs)
	tenant := fs.String("tenant", "", "only this tenant (config name)")
	stream := fs.String("stream", "", "only this stream")
	if code, ok := inv.parse(fs, args); !ok {
		return code
	}
	cfg, ok := inv.loadConfig(*path)
	if !ok {
		return ExitUsage
	}
	a, log, code := inv.openApp(cfg, app.Options{})
	if a == nil {
		return code
	}
	defer a.Close()
	defer log.Sync()
	return inv.report(a.Once(inv.ctx, *tenant, *stream))
}

func cmdBackfill(inv *invocation, args []string) int {
	fs := inv.flagSet("backfill")
	path := inv.configFlag(fs)
	tenant := fs.String("tenant", "", "tenant (config name); required")
	stream := fs.String("stream", "", "stream; required")
	from := fs.String("from", "", "start of the range (RFC 3339 or YYYY-MM-DD, UTC); required")
	to := fs.String("to", "", "end of the range, exclusive; required")
	if code, ok := inv.parse(fs, args); !ok {
		return code
	}
	w, err := parseRange(*from, *to)
	if err == nil && (*tenant == "" || *stream == "") {
		err = errors.New("--tenant and --stream are required")
	}
	if err != nil {
		fmt.Fprintf(inv.stderr, "backfill: %v\n", err)
		return ExitUsage
	}
	cfg, ok := inv.loadConfig(*path)
	if !ok {
		return ExitUsage
	}
	a, log, code := inv.openApp(cfg, app.Options{})
	if a == nil {
		return code
	}
	defer a.Close()
	defer log.Sync()
	bar := progress.New(inv.stderr, "backfill")
	err = a.Backfill(inv.ctx, *tenant, *stream, w, bar)
	bar.Done()
	return inv.report(err)
}

// report prints a command's error and maps it to an exit code.
func (inv *invocation) report(err error) int {
	if err == nil {
		return ExitOK
	}
	inv.printError(err)
	if errors.Is(err, app.ErrUsage) {
		return ExitUsage
	}
	return ExitFailure
}

// printError prints a command's error. Errors quote what came from outside
// (Graph's and storage's error texts, blob names, record ids), so they are
// printed terminal-safe.
func (inv *invocation) printError(err error) {
	fmt.Fprintf(inv.stderr, "entra-archiver: %s\n", termsafe.Lines(err.Error()))
}

// parseRange parses --from/--to into a window.
func parseRange(from, to string) (audit.Window, error) {
	if from == "" || to == "" {
		return audit.Window{}, errors.New("--from and --to are required")
	}
	f, err := parseTime(from)
	if err != nil {
		return audit.Window{}, fmt.Errorf("--from: %w", err)
	}
	t, err := parseTime(to)
	if err != nil {
		return audit.Window{}, fmt.Errorf("--to: %w", err)
	}
	if !f.Before(t) {
		return audit.Window{}, fmt.Errorf("--from %s is not before --to %s", from, to)
	}
	return audit.Window{From: f, To: t}, nil
}

// parseTime accepts RFC 3339 and its UTC shorthands YYYY-MM-DD,
// YYYY-MM-DDTHH and YYYY-MM-DDTHH:MM.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02", "2006-01-02T15", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (use RFC 3339, e.g. 2026-11-01T00:00:00Z, or 2026-11-01)", s)
}

func cmdVersion(inv *invocation, args []string) int {
	fs := inv.flagSet("version")
	if code, ok := inv.parse(fs, args); !ok {
		return code
	}
	fmt.Fprintf(inv.stdout, "entra-archiver %s\n", version.String())
	return ExitOK
}
