// Package manifest defines the seal of a partition: a JSON document listing
// every blob of the partition's parts with its record count and SHA-256, plus
// the name and SHA-256 of the stream's previous manifest. The manifests of a
// stream thereby form a hash chain: deleting or altering a part, its metadata
// or an earlier manifest is detectable by `verify`.
package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Version is the manifest schema version.
const Version = 1

// Manifest seals one partition. Its encoding is deterministic (no
// timestamps of when it was written), so a retried seal produces identical
// bytes.
type Manifest struct {
	Version        int       `json:"version"`
	TenantID       string    `json:"tenant_id"`
	Stream         string    `json:"stream"`
	PartitionStart time.Time `json:"partition_start"`
	PartitionEnd   time.Time `json:"partition_end"`
	// Records is the number of records in the partition (all parts, counted
	// in the most faithful format).
	Records int64  `json:"records"`
	Blobs   []Blob `json:"blobs"`
	// Previous is the stream-relative name of the previous manifest in the
	// chain ("" for the first) and PreviousSHA256 the hex SHA-256 of its bytes.
	Previous       string `json:"previous"`
	PreviousSHA256 string `json:"previous_sha256"`
	// Lost, when set, says why the partition holds no parts: Graph no longer
	// served its span when the archiver got there (an outage longer than
	// Graph keeps logs, a start before Graph's minimum allowed time). Such a
	// manifest lists no blobs and claims no coverage; it keeps the chain
	// whole and the loss on record.
	Lost string `json:"lost,omitempty"`
}

// Blob is one stored blob of a part.
type Blob struct {
	Name    string `json:"name"` // base name, e.g. interactive-signins_20261127T03Z_p000.jsonl.gz
	Part    int    `json:"part"`
	Format  string `json:"format"`
	Records int64  `json:"records"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
}

// Encode renders the manifest deterministically and returns it with the hex
// SHA-256 of the bytes.
func (m Manifest) Encode() ([]byte, string, error) {
	m.PartitionStart = m.PartitionStart.UTC()
	m.PartitionEnd = m.PartitionEnd.UTC()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, "", err
	}
	b = append(b, '\n')
	return b, Hash(b), nil
}

// Decode parses a manifest.
func Decode(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("manifest is not valid JSON: %w", err)
	}
	if m.Version < 1 || m.Version > Version {
		return m, fmt.Errorf("manifest schema version %d not supported (this build reads %d)", m.Version, Version)
	}
	return m, nil
}

// Hash is the lower-case hex SHA-256 of b.
func Hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
