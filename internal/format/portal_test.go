package format

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func encodePortal(t testing.TB, st audit.Stream, recs []audit.Record, opts ...PortalOption) ([]byte, *PortalWriter) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewPortalWriter(st, &buf, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatalf("%s record %d: %v", st.Name, i+1, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w
}

// readCSV parses b as RFC 4180 and checks that every row has the header's
// width.
func readCSV(t testing.TB, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	r.LazyQuotes = false
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180: %v\n%s", err, b)
	}
	return rows
}

// TestPortalGolden pins the portal view of every stream's fixtures.
func TestPortalGolden(t *testing.T) {
	for _, st := range audit.Streams {
		if PortalColumns(st) == nil {
			continue // TestPortalEveryStreamHasAView reports it
		}
		t.Run(st.Name, func(t *testing.T) {
			recs := loadFixtures(t, st)
			got, _ := encodePortal(t, st, recs)
			path := filepath.Join("testdata", "golden", "portal-"+st.Name+".csv")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (go test -update rewrites it after review)\ngot:\n%s", path, got)
			}
			rows := readCSV(t, got)
			if len(rows) != len(recs)+1 {
				t.Errorf("%d rows, want a header and %d records", len(rows), len(recs))
			}
			if !bytes.HasSuffix(got, []byte("\r\n")) || bytes.HasPrefix(got, []byte("\xef\xbb\xbf")) {
				t.Error("want CRLF rows and no BOM")
			}
		})
	}
}

// The portal's headers, as downloaded (shared/PORTAL-CSV.md).
const (
	portalUserSignInHeader       = `Date (UTC),Request ID,User agent,Correlation ID,User ID,User,Username,User type,Cross tenant access type,Incoming token type,Authentication Protocol,Unique token identifier,Original transfer method,Client credential type,Token Protection - Sign In Session,Token Protection - Sign In Session StatusCode,Application,Application ID ,App owner tenant ID,Resource,Resource ID ,Resource tenant ID,Resource owner tenant ID,Home tenant ID,Home tenant name,IP address,Location,Status,Sign-in error code,Failure reason,Client app,Device ID,Browser,Operating System,Compliant,Managed,Join Type,Multifactor authentication result,Multifactor authentication auth method,Multifactor authentication auth detail,Authentication requirement,Sign-in identifier,Session ID,IP address (seen by resource),Through Global Secure Access,Global Secure Access IP address,Autonomous system  number,Flagged for review,Token issuer type,Incoming token type,Token issuer name,Latency,Conditional Access,Managed Identity type,Associated Resource Id,Federated Token Id,Federated Token Issuer`
	portalServicePrincipalHeader = `Date (UTC),Request ID,Correlation ID,Service principal ID,Service principal name,Credential key ID,Credential thumbprint,Application,Application ID ,App owner tenant ID,Resource,Resource ID ,Resource tenant ID,Resource owner tenant ID,Home tenant ID,Home tenant name,IP address,Location,Status,Sign-in error code,Failure reason,Conditional Access`
)

// checkPortalHeader checks the header of st's view, as written and as
// PortalColumns lists it, against want.
func checkPortalHeader(t *testing.T, st audit.Stream, want []string) {
	t.Helper()
	got, _ := encodePortal(t, st, nil)
	rows := readCSV(t, got)
	if len(rows) != 1 || strings.Join(rows[0], "|") != strings.Join(want, "|") {
		t.Errorf("%s header\n got %q\nwant %q", st.Name, rows, want)
	}
	var names []string
	for _, c := range PortalColumns(st) {
		names = append(names, c.Name)
		if c.Source == "" {
			t.Errorf("%s column %q has no source", st.Name, c.Name)
		}
	}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("%s PortalColumns differ from the header", st.Name)
	}
}

func TestPortalHeaders(t *testing.T) {
	managed := append(strings.Split(portalServicePrincipalHeader, ","),
		"Managed Identity type", "Associated Resource Id", "Federated Token Id", "Federated Token Issuer")
	for _, tt := range []struct {
		st   audit.Stream
		want []string
	}{
		{audit.InteractiveSignIns, strings.Split(portalUserSignInHeader, ",")},
		{audit.NonInteractiveSignIns, strings.Split(portalUserSignInHeader, ",")},
		{audit.ServicePrincipalSignIns, strings.Split(portalServicePrincipalHeader, ",")},
		{audit.ManagedIdentitySignIns, managed},
	} {
		checkPortalHeader(t, tt.st, tt.want)
	}
	// The quirks survive any RFC 4180 reader: quoted where a reader might
	// trim, written as they are otherwise.
	got, _ := encodePortal(t, audit.InteractiveSignIns, nil)
	for _, q := range []string{`,"Application ID ",`, `,"Resource ID ",`, `,Autonomous system  number,`} {
		if !bytes.Contains(got, []byte(q)) {
			t.Errorf("header lacks %s", q)
		}
	}
	if n := bytes.Count(got, []byte(",Incoming token type,")); n != 2 {
		t.Errorf("Incoming token type appears %d times, want 2", n)
	}
}

func TestPortalEveryStreamHasAView(t *testing.T) {
	for _, st := range audit.Streams {
		if len(PortalColumns(st)) == 0 {
			t.Errorf("%s has no portal columns", st.Name)
		}
	}
}

func TestPortalColumnsAPI(t *testing.T) {
	other := audit.Stream{Name: "risky-users", TimeField: "riskLastUpdatedDateTime"}
	if _, err := NewPortalWriter(other, &bytes.Buffer{}); !errors.Is(err, ErrUnknownStream) {
		t.Errorf("NewPortalWriter(unknown stream) = %v, want ErrUnknownStream", err)
	}
	if PortalColumns(other) != nil {
		t.Error("PortalColumns of an unknown stream is not nil")
	}
	cols := PortalColumns(audit.InteractiveSignIns)
	cols[0].Name = "changed"
	if PortalColumns(audit.InteractiveSignIns)[0].Name != "Date (UTC)" {
		t.Error("modifying the result of PortalColumns changed the view")
	}
}

// portalRow writes one raw record of st through the portal view and returns
// its cells by header name, and whether the writer counted it as overflowing.
func portalRow(t *testing.T, st audit.Stream, raw string) (map[string]string, bool) {
	t.Helper()
	rec, err := audit.ParseRecord([]byte(raw), st.TimeField)
	if err != nil {
		t.Fatal(err)
	}
	got, w := encodePortal(t, st, []audit.Record{rec})
	rows := readCSV(t, got)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want header and one record", len(rows))
	}
	cells := map[string]string{}
	for i, name := range rows[0] {
		if prev, ok := cells[name]; ok && prev != rows[1][i] {
			t.Fatalf("column %q repeats with different cells %q and %q", name, prev, rows[1][i])
		}
		cells[name] = rows[1][i]
	}
	return cells, w.Overflowed() == 1
}

// TestPortalCellFilter: one function sees every data cell and no header, so
// formula neutralisation plugs in with WithCellFilter.
func TestPortalCellFilter(t *testing.T) {
	recs := loadFixtures(t, audit.InteractiveSignIns)
	var seen int
	mark := func(c string) string {
		seen++
		if strings.HasPrefix(c, "=") {
			return "'" + c
		}
		return c
	}
	raw := signInHead + `,"userDisplayName":"=HYPERLINK(\"http://x\")","appDisplayName":"ok"}`
	rec, err := audit.ParseRecord([]byte(raw), audit.InteractiveSignIns.TimeField)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := encodePortal(t, audit.InteractiveSignIns, append(recs, rec), WithCellFilter(mark))
	rows := readCSV(t, got)
	width := len(PortalColumns(audit.InteractiveSignIns))
	if seen != width*(len(recs)+1) {
		t.Errorf("filter saw %d cells, want %d", seen, width*(len(recs)+1))
	}
	if rows[0][0] != "Date (UTC)" {
		t.Errorf("header filtered: %q", rows[0][0])
	}
	last := rows[len(rows)-1]
	if last[5] != `'=HYPERLINK("http://x")` {
		t.Errorf("User cell %q, want the filter's output", last[5])
	}
	unfiltered, _ := encodePortal(t, audit.InteractiveSignIns, recs)
	filtered, _ := encodePortal(t, audit.InteractiveSignIns, recs, WithCellFilter(func(c string) string { return c }))
	if !bytes.Equal(unfiltered, filtered) {
		t.Error("an identity filter changed the output")
	}
}

func TestPortalRefusesBadRecords(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewPortalWriter(audit.ServicePrincipalSignIns, &buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{``, `[]`, `"x"`, `{"id":"a",}`, `{"id":"a"} {}`, `{"id":`} {
		rec := audit.Record{ID: "a", Raw: []byte(raw)}
		if err := w.Write(&rec); !errors.Is(err, ErrBadRecord) {
			t.Errorf("Write(%q) = %v, want ErrBadRecord", raw, err)
		}
	}
	recs := loadFixtures(t, audit.ServicePrincipalSignIns)
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want, _ := encodePortal(t, audit.ServicePrincipalSignIns, recs)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Error("refused records changed the output")
	}
}

func TestPortalWriterErrorsStick(t *testing.T) {
	w, err := NewPortalWriter(audit.ServicePrincipalSignIns, failingWriter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, errUpload) {
		t.Fatalf("Close = %v, want the upload error", err)
	}
	recs := loadFixtures(t, audit.ServicePrincipalSignIns)
	if err := w.Write(&recs[0]); !errors.Is(err, errUpload) {
		t.Errorf("Write after a failed Close = %v, want the upload error", err)
	}
}

// Portal view throughput in MB/s of Graph JSON, next to BenchmarkWriter's
// csv: export, not the archiving path, pays for it.
func BenchmarkPortalWriter(b *testing.B) {
	st := audit.NonInteractiveSignIns
	recs := benchSignIns(2000)
	b.SetBytes(rawSize(recs))
	b.ReportAllocs()
	for b.Loop() {
		w, err := NewPortalWriter(st, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		for i := range recs {
			if err := w.Write(&recs[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
