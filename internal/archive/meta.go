package archive

import (
	"strconv"
	"time"
)

// BlobKind is what a stored blob is, which decides the metadata it carries.
type BlobKind int

const (
	// PartBlob is one format of a partition's part.
	PartBlob BlobKind = iota
	// ManifestBlob seals a partition.
	ManifestBlob
	// QuarantineBlob is a record Graph served without a readable id or time,
	// or not as valid JSON.
	QuarantineBlob
)

// Meta is the metadata of a blob the archiver writes (DESIGN.md "Blob
// layout", "Metadata values"): the one place the contract's keys and value
// forms are put together.
type Meta struct {
	Kind BlobKind
	// SHA256 is the lower-case hex SHA-256 of the stored bytes.
	SHA256 string
	// Records in the blob (a part), or in the partition (a manifest).
	Records int64
	// Start and End are the partition's bounds (a part, a manifest) or the
	// query window a quarantined record was served in.
	Start, End time.Time
	Stream     string
	TenantID   string
	Part       int    // a part's number
	Format     string // a part's format
	Reason     string // why a record is quarantined, ASCII
	Version    string // archiver_version
}

// Map renders the metadata as the sinks store it.
func (m Meta) Map() map[string]string {
	out := map[string]string{
		MetaSHA256:          m.SHA256,
		MetaStream:          m.Stream,
		MetaTenantID:        m.TenantID,
		MetaArchiverVersion: m.Version,
	}
	switch m.Kind {
	case PartBlob, ManifestBlob:
		out[MetaRecords] = strconv.FormatInt(m.Records, 10)
		out[MetaPartitionStart] = formatTime(m.Start)
		out[MetaPartitionEnd] = formatTime(m.End)
		out[MetaFormat] = "manifest"
		if m.Kind == PartBlob {
			out[MetaPart] = strconv.Itoa(m.Part)
			out[MetaFormat] = m.Format
		}
	case QuarantineBlob:
		out[MetaReason] = m.Reason
		out[MetaWindowStart] = formatTime(m.Start)
		out[MetaWindowEnd] = formatTime(m.End)
	}
	return out
}

// formatTime renders t as metadata holds it: RFC 3339 in UTC with only the
// fractional digits it needs (audit.FormatTime).
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
