package export

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/odata"
)

// FuzzCompileWhere feeds arbitrary --where expressions to Compile, as the
// export command does. It must never panic; a refusal is an
// *odata.SyntaxError whose caret the command can print, or wraps
// odata.ErrInvalidExpr. An accepted expression matches every record of the
// stream's fixtures without error, means the same in its canonical form,
// and "not (where)" selects exactly the records it does not (conditions are
// two-valued). Seeds are in testdata/fuzz/FuzzCompileWhere.
func FuzzCompileWhere(f *testing.F) {
	for i, where := range []string{
		"status/errorCode ne 0 and startswith(userPrincipalName,'admin')",
		"signInEventTypes/any(t: t eq 'nonInteractiveUser')", "createdDateTime ge 2026-11-27T03:00:00Z",
		"contains(tolower(appDisplayName),'teams')", "appId in ('a','b') or not (status/errorCode eq 0)",
		"servicePrincipal/displayName eq 'HR App'", "status/errorCode eqq 0", "not a eq b", "",
	} {
		f.Add(uint8(i), where)
	}
	records := map[string][][]byte{}
	for _, st := range audit.Streams {
		records[st.Name] = readFixtures(f, st)
	}
	f.Fuzz(func(t *testing.T, stream uint8, where string) {
		st := audit.Streams[int(stream)%len(audit.Streams)]
		m, err := Compile(st, where)
		if err != nil {
			var se *odata.SyntaxError
			switch {
			case errors.As(err, &se):
				_ = se.Caret()
			case !errors.Is(err, odata.ErrInvalidExpr):
				t.Fatalf("Compile(%q) = %v: neither a syntax error nor ErrInvalidExpr", where, err)
			}
			return
		}
		tree, err := odata.Parse(where)
		if err != nil {
			t.Fatalf("Compile accepted %q, Parse refuses it: %v", where, err)
		}
		canonical, err := Compile(st, tree.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not compile: %v", tree.String(), where, err)
		}
		negated, err := Compile(st, "not ("+where+")")
		if err != nil && !strings.Contains(err.Error(), "nested too deeply") {
			t.Fatalf("not (%s) does not compile: %v", where, err)
		}
		for _, rec := range records[st.Name] {
			got, err := m.Match(rec)
			if err != nil {
				t.Fatalf("Match(%q) on a fixture record: %v", where, err)
			}
			if c, _ := canonical.Match(rec); c != got {
				t.Fatalf("%q matches %v, its canonical form %q %v", where, got, tree.String(), c)
			}
			if negated != nil {
				if n, _ := negated.Match(rec); n == got {
					t.Fatalf("%q and not (%s) both match %v", where, where, got)
				}
			}
		}
	})
}

// readFixtures reads the format package's fixture records of st, raw.
func readFixtures(tb testing.TB, st audit.Stream) [][]byte {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "format", "testdata", "fixtures", st.Name+".jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil || len(out) == 0 {
		tb.Fatalf("fixtures of %s: %d records, %v", st.Name, len(out), err)
	}
	return out
}
