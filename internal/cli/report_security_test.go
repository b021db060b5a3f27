package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/config"
)

// graphSays is an error text as a hijacked endpoint would write it: OSC 52
// (write the clipboard), clear the screen, a C1 CSI, a right-to-left
// override.
const graphSays = "AADSTS7000215: invalid client secret\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07\x1b[2J\u009b2J \u202eexe.txt"

// TestSecurityErrorReportsEscaped: the errors once and backfill report, the
// results of config check --online and the log lines a person reads on a
// terminal quote Graph's and Entra's texts escaped; the lines the program
// lays out itself stay lines.
func TestSecurityErrorReportsEscaped(t *testing.T) {
	var stderr bytes.Buffer
	inv := &invocation{stdout: &bytes.Buffer{}, stderr: &stderr, ctx: context.Background()}
	err := errors.Join(fmt.Errorf("contoso/interactive-signins: window failed: %s", graphSays), errors.New("contoso/directory-audits: canceled"))
	if code := inv.report(err); code != ExitFailure {
		t.Errorf("exit %d", code)
	}
	if got := stderr.String(); rawControl(got) || strings.Count(got, "\n") != 2 || !strings.Contains(got, `\x1b]52;c;`) {
		t.Errorf("error report:\n%s", got)
	}

	var table bytes.Buffer
	results := []app.CheckResult{
		{Tenant: "contoso", Check: "token", Detail: graphSays + "\tand\na tab and a newline"},
		{Tenant: "contoso", Stream: "interactive-signins", Check: "query", OK: true, Detail: "read a record"},
	}
	if err := writeChecks(&table, results); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(table.String(), "\n")
	if rawControl(table.String()) || len(lines) != 5 || !strings.Contains(lines[1], `\u202eexe.txt\tand\na tab`) {
		t.Errorf("config check --online table:\n%s", table.String())
	}

	for _, format := range []string{"console", "json"} {
		var logs bytes.Buffer
		inv := &invocation{stderr: &logs}
		cfg := &config.Config{Log: config.Log{Level: "info", Format: format}}
		log, _, err := app.NewLogger(cfg.Log, inv.logOutput(cfg))
		if err != nil {
			t.Fatal(err)
		}
		log.Error("run failed", zap.String("tenant", "contoso"), zap.Error(errors.New(graphSays)))
		// JSON escapes C0 controls itself; console lines are escaped here.
		if (format == "console" && rawControl(strings.ReplaceAll(logs.String(), "\t", " "))) || strings.Contains(logs.String(), "\x1b") {
			t.Errorf("%s log line: %q", format, logs.String())
		}
	}
}

// rawControl reports whether s holds a character a terminal acts on, but
// for newlines.
func rawControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
	})
}
