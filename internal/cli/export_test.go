package cli_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/cli"
	"github.com/entra-archiver/entra-archiver/internal/format"
)

// archivedJSONL is what the fixture archived in [from, to) as jsonl: every
// served record with event time before the watermark (02:05 on the 21st).
func (f *archiveFixture) archivedJSONL(from, to time.Time, keep func(audit.Record) bool) string {
	watermark := fixtureT0.Add(26*time.Hour - 15*time.Minute)
	var b strings.Builder
	for _, r := range f.recs {
		if r.Time.Before(from) || !r.Time.Before(to) || !r.Time.Before(watermark) || (keep != nil && !keep(r)) {
			continue
		}
		b.Write(r.Raw)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestExportCommand(t *testing.T) {
	f := buildFixture(t)
	base := []string{"export", "--config", f.config, "--tenant", "contoso", "--stream", "interactive-signins"}

	from, to := time.Date(2026, 11, 19, 23, 30, 0, 0, time.UTC), time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	code, stdout, stderr := entra(t, append(base, "--from", "2026-11-19T23:30:00Z", "--to", "2026-11-20T03", "--format", "jsonl")...)
	if want := f.archivedJSONL(from, to, nil); code != cli.ExitOK || stdout != want || stderr != "" {
		t.Fatalf("export jsonl: exit %d, stderr %q\n got %q\nwant %q", code, stderr, stdout, want)
	}

	// --where with Graph's syntax, to a gzip file.
	failed := f.archivedJSONL(time.Time{}, to.Add(72*time.Hour), func(r audit.Record) bool {
		return strings.Contains(string(r.Raw), `"errorCode":50126`)
	})
	out := filepath.Join(t.TempDir(), "failed.csv.gz")
	code, stdout, stderr = entra(t, append(base, "--from", "2026-11-19", "--to", "2026-11-22", "--format", "csv",
		"--where", "status/errorCode ne 0", "-o", out, "--allow-gaps")...)
	if code != cli.ExitOK || stdout != "" || !strings.Contains(stderr, fmt.Sprintf("exported %d records from 72 partitions to %s", strings.Count(failed, "\n"), out)) {
		t.Fatalf("export -o: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if data, err = io.ReadAll(zr); err != nil {
		t.Fatal(err)
	}
	rd, err := format.NewReader(format.CSV, audit.InteractiveSignIns, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.SplitAfter(failed, "\n") {
		if line == "" {
			break
		}
		rec, err := audit.ParseRecord([]byte(strings.TrimSuffix(line, "\n")), "createdDateTime")
		if err != nil {
			t.Fatal(err)
		}
		want, err := format.ContentKey(format.CSV, audit.InteractiveSignIns, &rec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rd.Next()
		if err != nil || string(got.Raw) != string(want) {
			t.Fatalf("csv row %q (%v), want %q", got.Raw, err, want)
		}
	}
	if _, err := rd.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("csv export has more rows than failed sign-ins: %v", err)
	}
}

func TestExportCommandUsage(t *testing.T) {
	f := buildFixture(t)
	base := []string{"export", "--config", f.config, "--tenant", "contoso", "--stream", "interactive-signins",
		"--from", "2026-11-19", "--to", "2026-11-22"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "export: --format is required (csv, json or jsonl)"},
		{[]string{"--format", "xml"}, `export: --format "xml": want csv, json or jsonl`},
		{[]string{"--format", "csv", "--where", "status/errorCode eqq 0"},
			"export: --where: column 18: " /* the message, then the caret display: */},
		{[]string{"--format", "csv", "--where", "status/errorCode eqq 0"},
			"\n  status/errorCode eqq 0\n                   ^\n"},
		{[]string{"--format", "csv", "--tenant", "fabrikam"}, `export: no tenant "fabrikam" in the configuration`},
		{[]string{"--format", "csv", "--stream", "signins"}, `export: unknown stream "signins"`},
		{[]string{"--format", "csv", "--from", "2026-11-23"}, "is not before --to"},
	} {
		code, stdout, stderr := entra(t, append(base, tc.args...)...)
		if code != cli.ExitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("export %v: exit %d, stdout %q, stderr %q; want exit 2 saying %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
	// A stream of the tenant that was never archived exports nothing.
	code, stdout, stderr := entra(t, "export", "--config", f.config, "--tenant", "contoso", "--stream", "provisioning",
		"--from", "2026-11-19", "--to", "2026-11-22", "--format", "json", "--allow-gaps")
	if code != cli.ExitOK || stdout != "[]" {
		t.Errorf("export of an empty stream: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestExportPartitionMismatch: export with a configuration whose partition
// differs from the archive's says so (it would find nothing and export
// nothing, silently).
func TestExportPartitionMismatch(t *testing.T) {
	f := buildFixture(t)
	data, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	day := filepath.Join(t.TempDir(), "day.yaml")
	text := strings.Replace(string(data), "  formats: [jsonl, csv]\n", "  formats: [jsonl, csv]\n  partition: day\n", 1)
	if err := os.WriteFile(day, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := entra(t, "export", "--config", day, "--tenant", "contoso", "--stream", "interactive-signins",
		"--from", "2026-11-19", "--to", "2026-11-21", "--format", "jsonl")
	if code != cli.ExitUsage || stdout != "" || !strings.Contains(stderr, "is in hour partitions but the configuration says partition: day") {
		t.Fatalf("export with the wrong partition: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}
