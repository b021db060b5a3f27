package layout

import (
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestNamesMatchTheContract(t *testing.T) {
	p := audit.Hour.Of(time.Date(2026, 11, 27, 3, 10, 0, 0, time.UTC))
	d := audit.Day.Of(p.Start)
	l := Layout{Prefix: "archive/"}
	tests := []struct{ got, want string }{
		{l.PartName(Part{Tenant: "contoso", Stream: "interactive-signins", Partition: p, Number: 0, Format: "jsonl", Gzip: true}),
			"archive/contoso/interactive-signins/y=2026/m=11/d=27/h=03/interactive-signins_20261127T03Z_p000.jsonl.gz"},
		{l.PartName(Part{Tenant: "contoso", Stream: "directory-audits", Partition: d, Number: 12, Format: "csv", Gzip: true}),
			"archive/contoso/directory-audits/y=2026/m=11/d=27/directory-audits_20261127Z_p012.csv.gz"},
		{l.PartName(Part{Tenant: "t", Stream: "provisioning", Partition: p, Number: 1, Format: "json"}),
			"archive/t/provisioning/y=2026/m=11/d=27/h=03/provisioning_20261127T03Z_p001.json"},
		{l.ManifestName("contoso", "interactive-signins", p),
			"archive/contoso/interactive-signins/y=2026/m=11/d=27/h=03/interactive-signins_20261127T03Z_manifest.json"},
		{l.StateName("contoso", "interactive-signins"), "archive/_state/contoso/interactive-signins.json"},
		{l.LockName("contoso"), "archive/_locks/contoso"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got  %s\nwant %s", tt.got, tt.want)
		}
	}
}

func TestParseNameRoundTrip(t *testing.T) {
	p := audit.Hour.Of(time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC))
	d := audit.Day.Of(p.Start)
	for _, part := range []Part{
		{Stream: "interactive-signins", Partition: p, Number: 0, Format: "jsonl", Gzip: true},
		{Stream: "interactive-signins", Partition: p, Number: 7, Format: "csv"},
		{Stream: "directory-audits", Partition: d, Number: 1000, Format: "json", Gzip: true},
	} {
		e, ok := ParseName(part.Stream, part.Base()+part.Ext())
		if !ok || e.Manifest || e.Part != part || e.Partition != part.Partition {
			t.Errorf("ParseName(%s) = %+v, %v", part.Base()+part.Ext(), e, ok)
		}
	}
	e, ok := ParseName("interactive-signins", "interactive-signins_20261127T03Z_manifest.json")
	if !ok || !e.Manifest || e.Partition != p {
		t.Errorf("manifest: %+v %v", e, ok)
	}
	for _, bad := range []string{
		"interactive-signins_20261127T03Z_p000.jsonl.gz.meta.json",
		"interactive-signins_20261127T03Z_p00.jsonl",
		"interactive-signins_20261127T03Z_p0001.jsonl",
		"interactive-signins_20261127T03Z_p000.parquet",
		"directory-audits_20261127T03Z_p000.jsonl",
		"interactive-signins_2026112703_p000.jsonl",
		"interactive-signins_20261127T03Z_pabc.jsonl",
	} {
		if _, ok := ParseName("interactive-signins", bad); ok {
			t.Errorf("ParseName(%q) accepted", bad)
		}
	}
}

func TestParseStateName(t *testing.T) {
	l := Layout{Prefix: "archive/"}
	if tenant, stream, ok := l.ParseStateName(l.StateName("contoso", "directory-audits")); !ok || tenant != "contoso" || stream != "directory-audits" {
		t.Errorf("ParseStateName(StateName) = %q, %q, %v", tenant, stream, ok)
	}
	for _, name := range []string{
		"archive/_state/contoso.json", "archive/_state/contoso/a/b.json", "archive/_state/contoso/notes.txt",
		"archive/_state//x.json", "archive/_state/contoso/.json", "_state/contoso/x.json", "archive/_locks/contoso",
	} {
		if tenant, stream, ok := l.ParseStateName(name); ok {
			t.Errorf("ParseStateName(%q) = %q, %q, true; want false", name, tenant, stream)
		}
	}
}

func TestValidTenant(t *testing.T) {
	for name, want := range map[string]bool{"contoso": true, "a-1": true, "": false, "_state": false, "Contoso": false,
		"a/b": false, "x.y": false, strings.Repeat("a", 63): true, strings.Repeat("a", 64): false} {
		if got := ValidTenant(name); got != want {
			t.Errorf("ValidTenant(%q) = %v, want %v", name, got, want)
		}
	}
}
