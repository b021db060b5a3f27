package cli_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/archivetest"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/cli"
)

// The fixture's archive starts at 18:00 on the 19th; its watermark is
// 02:05 on the 21st.

// TestExportCommandCoverage: export fails on a range the archive does not
// prove it covered, naming the partitions and how to export anyway; with
// --allow-gaps it exports what is there and lists the gaps; past the
// watermark it warns, naming it.
func TestExportCommandCoverage(t *testing.T) {
	f := buildFixture(t)
	base := []string{"export", "--config", f.config, "--tenant", "contoso", "--stream", "interactive-signins", "--format", "jsonl"}

	// Before the archive's start: a gap, and nothing written.
	code, stdout, stderr := entra(t, append(base, "--from", "2026-11-19T12:00:00Z", "--to", "2026-11-19T20:00:00Z")...)
	if code != cli.ExitFailure || stdout != "" || !strings.Contains(stderr,
		"partitions 20261119T12Z to 20261119T17Z: before the archive's start (2026-11-19T18:00:00Z); to export what the archive holds anyway, add --allow-gaps") {
		t.Fatalf("export from before the start: exit %d\nstdout: %q\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, stderr = entra(t, append(base, "--from", "2026-11-19T12:00:00Z", "--to", "2026-11-19T20:00:00Z", "--allow-gaps")...)
	from, to := time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC), time.Date(2026, 11, 19, 20, 0, 0, 0, time.UTC)
	if code != cli.ExitOK || stdout != f.archivedJSONL(from, to, nil) || stdout == "" ||
		!strings.Contains(stderr, "export: gap: contoso/interactive-signins partitions 20261119T12Z to 20261119T17Z: before the archive's start") {
		t.Fatalf("export from before the start with --allow-gaps: exit %d\nstdout: %q\nstderr: %s", code, stdout, stderr)
	}

	// Past the watermark: exported, with a warning.
	code, stdout, stderr = entra(t, append(base, "--from", "2026-11-21T00:00:00Z", "--to", "2026-11-21T06:00:00Z")...)
	from, to = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	if code != cli.ExitOK || stdout != f.archivedJSONL(from, to, nil) ||
		!strings.Contains(stderr, "export: warning: the range ends after the watermark of contoso/interactive-signins (2026-11-21T02:05:00Z)") {
		t.Fatalf("export past the watermark: exit %d\nstdout: %q\nstderr: %s", code, stdout, stderr)
	}

	// A partition below the watermark without its parts.
	gone := audit.Hour.Of(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	for n := range 3 {
		for _, format := range []string{"jsonl", "csv"} {
			if err := f.sink.Delete(t.Context(), f.partName(gone, n, format)); err != nil {
				t.Fatal(err)
			}
		}
	}
	code, stdout, stderr = entra(t, append(base, "--from", "2026-11-20T10:00:00Z", "--to", "2026-11-20T14:00:00Z")...)
	if code != cli.ExitFailure || stdout != "" ||
		!strings.Contains(stderr, "partition 20261120T12Z: below the watermark (2026-11-21T02:05:00Z) but no p000") {
		t.Fatalf("export over a deleted partition: exit %d\nstdout: %q\nstderr: %s", code, stdout, stderr)
	}

	// Without the job's state, the archive is judged against itself, and
	// export says so.
	if err := f.sink.Delete(t.Context(), "_state/contoso/interactive-signins.json"); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = entra(t, append(base, "--from", "2026-11-20T00:00:00Z", "--to", "2026-11-20T06:00:00Z")...)
	from, to = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC)
	if code != cli.ExitOK || stdout != f.archivedJSONL(from, to, nil) ||
		!strings.Contains(stderr, "export: warning: contoso/interactive-signins has no job state (_state/contoso/interactive-signins.json)") {
		t.Fatalf("export without state: exit %d\nstdout: %q\nstderr: %s", code, stdout, stderr)
	}
}

// TestExportCommandDamage: a damaged part fails the export naming the
// blob, with --allow-gaps too; stdout then never holds a whole-looking
// export, and an output file is left as it was.
func TestExportCommandDamage(t *testing.T) {
	f := buildFixture(t)
	damaged := f.partName(audit.Hour.Of(time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)), 0, "jsonl")
	path := filepath.Join(f.dir, filepath.FromSlash(damaged))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	base := []string{"export", "--config", f.config, "--tenant", "contoso", "--stream", "interactive-signins",
		"--from", "2026-11-20T00:00:00Z", "--to", "2026-11-20T06:00:00Z", "--format", "json"}
	for _, extra := range [][]string{nil, {"--allow-gaps"}} {
		code, stdout, stderr := entra(t, append(base, extra...)...)
		if code != cli.ExitFailure || strings.HasSuffix(stdout, "]") || !strings.Contains(stderr, damaged+": ") ||
			!strings.Contains(stderr, "sha256 mismatch: metadata") {
			t.Fatalf("export %v over a damaged part: exit %d\nstdout: %q\nstderr: %s", extra, code, stdout, stderr)
		}
	}
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := entra(t, append(base, "-o", out)...)
	if _, err := os.Stat(out); code != cli.ExitFailure || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(stderr, damaged) {
		t.Fatalf("export -o over a damaged part: exit %d, output file: %v\nstdout: %q\nstderr: %s", code, err, stdout, stderr)
	}
}

// TestExportCommandAlteredRecord: a record altered in a sealed part, with
// the part's sha256 metadata altered to match (what whoever can write the
// container could do), is caught by the manifest: export fails naming the
// blob instead of exporting the altered record.
func TestExportCommandAlteredRecord(t *testing.T) {
	f := buildFixture(t)
	altered := f.partName(audit.Hour.Of(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)), 0, "jsonl")
	path := filepath.Join(f.dir, filepath.FromSlash(altered))
	stored, sum := archivetest.Regzip(t, f.sink, altered, func(data []byte) []byte {
		return bytes.Replace(data, []byte(`"errorCode":50126`), []byte(`"errorCode":0`), 1)
	})
	if err := os.WriteFile(path, stored, 0o640); err != nil {
		t.Fatal(err)
	}
	meta, err := os.ReadFile(path + ".meta.json")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := f.sink.Stat(t.Context(), altered)
	if err != nil {
		t.Fatal(err)
	}
	meta = bytes.Replace(meta, []byte(archive.MetaGet(obj.Metadata, archive.MetaSHA256)), []byte(sum), 1)
	if err := os.WriteFile(path+".meta.json", meta, 0o640); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := entra(t, "export", "--config", f.config, "--tenant", "contoso", "--stream", "interactive-signins",
		"--from", "2026-11-20T00:00:00Z", "--to", "2026-11-20T01:00:00Z", "--format", "jsonl")
	if code != cli.ExitFailure || !strings.Contains(stderr, altered+": sha256 mismatch: manifest") {
		t.Fatalf("export of an altered record: exit %d\nstdout: %q\nstderr: %s", code, stdout, stderr)
	}
}
