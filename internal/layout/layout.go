// Package layout names every blob of the archive: data parts, manifests, the
// state documents and the job locks. The names are part of the external
// contract (DESIGN.md "Blob layout"), so they are built and parsed here only.
package layout

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
)

// GzipSuffix is appended to compressed blobs.
const GzipSuffix = ".gz"

// ValidTenant reports whether name can be a tenant's name, its folder in
// the archive: 1 to 63 of a-z, 0-9 and "-". The archive's own folders
// (_state, _locks, _quarantine) cannot.
func ValidTenant(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Layout builds names below an optional prefix (for example "entra/").
type Layout struct {
	Prefix string
}

// StreamDir is "{prefix}{tenant}/{stream}/".
func (l Layout) StreamDir(tenant, stream string) string {
	return l.Prefix + tenant + "/" + stream + "/"
}

// PartitionDir is the folder that holds a partition's parts and manifest.
func (l Layout) PartitionDir(tenant, stream string, p audit.Partition) string {
	return l.StreamDir(tenant, stream) + p.Dir() + "/"
}

// Part identifies one blob of a partition's part.
type Part struct {
	Tenant, Stream string
	Partition      audit.Partition
	Number         int    // 0 for p000
	Format         string // jsonl | json | csv
	Gzip           bool
}

// Base is the name without extension, shared by the sibling formats of a part:
// {stream}_{label}_p000.
func (p Part) Base() string {
	return fmt.Sprintf("%s_%s_p%03d", p.Stream, p.Partition.Label(), p.Number)
}

// Ext is ".jsonl", ".csv.gz" and so on.
func (p Part) Ext() string {
	ext := "." + p.Format
	if p.Gzip {
		ext += GzipSuffix
	}
	return ext
}

// PartName is the full blob name of a part.
func (l Layout) PartName(p Part) string {
	return l.PartitionDir(p.Tenant, p.Stream, p.Partition) + p.Base() + p.Ext()
}

// ManifestName is the seal of a partition: {stream}_{label}_manifest.json.
func (l Layout) ManifestName(tenant, stream string, p audit.Partition) string {
	return l.PartitionDir(tenant, stream, p) + stream + "_" + p.Label() + "_manifest.json"
}

// StateName is the state document of one job when state lives in storage.
func (l Layout) StateName(tenant, stream string) string {
	return l.StateDir() + tenant + "/" + stream + ".json"
}

// StateDir is the folder of every job's state document: "{prefix}_state/".
func (l Layout) StateDir() string { return l.Prefix + "_state/" }

// ParseStateName returns the job of a state document's name, false for any
// other name.
func (l Layout) ParseStateName(name string) (tenant, stream string, ok bool) {
	rest, ok := strings.CutPrefix(name, l.StateDir())
	if !ok {
		return "", "", false
	}
	tenant, file, ok := strings.Cut(rest, "/")
	stream, isJSON := strings.CutSuffix(file, ".json")
	if !ok || !isJSON || tenant == "" || stream == "" || strings.Contains(stream, "/") {
		return "", "", false
	}
	return tenant, stream, true
}

// QuarantineDir is the folder of a stream's quarantined records:
// "{prefix}_quarantine/{tenant}/{stream}/".
func (l Layout) QuarantineDir(tenant, stream string) string {
	return l.Prefix + "_quarantine/" + tenant + "/" + stream + "/"
}

// QuarantineName is the blob of one quarantined record, named by the hex
// SHA-256 of its bytes, so a record served again (a recheck, a split
// window) finds its own blob: {QuarantineDir}{sha256}.json.
func (l Layout) QuarantineName(tenant, stream, sha256 string) string {
	return l.QuarantineDir(tenant, stream) + sha256 + ".json"
}

// LockName is the blob a replica leases while it runs any job of a tenant:
// "{prefix}_locks/{tenant}". One lease per tenant, not per job, because
// Graph's budget is per tenant and only one process can pace it.
func (l Layout) LockName(tenant string) string {
	return l.Prefix + "_locks/" + tenant
}

// Entry is a parsed archive name inside a partition folder.
type Entry struct {
	Partition audit.Partition
	Manifest  bool
	Part      Part // set when !Manifest
}

// ParseName parses the base name (no folder) of a blob inside a partition
// folder of stream. It accepts parts and manifests of either granularity and
// returns false for anything else (sidecars, foreign files).
func ParseName(stream, base string) (Entry, bool) {
	rest, ok := strings.CutPrefix(base, stream+"_")
	if !ok {
		return Entry{}, false
	}
	label, tail, ok := strings.Cut(rest, "_")
	if !ok {
		return Entry{}, false
	}
	p, ok := ParseLabel(label)
	if !ok {
		return Entry{}, false
	}
	if tail == "manifest.json" {
		return Entry{Partition: p, Manifest: true}, true
	}
	if len(tail) < 5 || tail[0] != 'p' {
		return Entry{}, false
	}
	num, ext, ok := strings.Cut(tail[1:], ".")
	if !ok || len(num) < 3 {
		return Entry{}, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || fmt.Sprintf("%03d", n) != num {
		return Entry{}, false
	}
	ext, gz := strings.CutSuffix(ext, GzipSuffix)
	switch ext {
	case format.JSONL, format.JSON, format.CSV:
	default:
		return Entry{}, false
	}
	return Entry{Partition: p, Part: Part{Stream: stream, Partition: p, Number: n, Format: ext, Gzip: gz}}, true
}

// ParseLabel parses 20261127T03Z (hour) or 20261127Z (day).
func ParseLabel(label string) (audit.Partition, bool) {
	if t, err := time.Parse("20060102T15Z", label); err == nil {
		return audit.Partition{Start: t.UTC(), Granularity: audit.Hour}, true
	}
	if t, err := time.Parse("20060102Z", label); err == nil {
		return audit.Partition{Start: t.UTC(), Granularity: audit.Day}, true
	}
	return audit.Partition{}, false
}

// BaseName returns the last path element of a blob name.
func BaseName(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}
