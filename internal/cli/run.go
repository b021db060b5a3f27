package cli

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/config"
)

// cmdRun is the daemon. SIGINT/SIGTERM stop it (runs in flight finish or are
// abandoned uncommitted); SIGHUP reloads the configuration, keeping the old
// one if the new one is invalid.
func cmdRun(inv *invocation, args []string) int {
	fs := inv.flagSet("run")
	path := inv.configFlag(fs)
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

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer func() {
		signal.Stop(hup)
		close(hup)
	}()
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	load := func() (*config.Config, error) {
		cfg, warnings, err := config.Load(*path, inv.env)
		for _, w := range warnings {
			log.Warn("configuration", zap.String("warning", w))
		}
		var problems *config.Errors
		if errors.As(err, &problems) {
			for _, p := range problems.Problems {
				log.Error("configuration problem", zap.String("key", p.Path), zap.String("problem", p.Message))
			}
		}
		return cfg, err
	}
	if err := a.Run(inv.ctx, app.RunOptions{Reload: reload, Load: load}); err != nil {
		log.Error("daemon failed", zap.Error(err))
		return ExitFailure
	}
	return ExitOK
}
