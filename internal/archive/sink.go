// Package archive defines where archived blobs go: the Sink interface, its
// contract and sentinel errors, and the blob metadata keys of the contract.
// Implementations live in sub-packages (azblob, local) and all pass the shared
// conformance suite in archivetest.
package archive

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"
)

// Metadata keys every data blob carries (DESIGN.md "Blob layout"). Values are
// strings: records and part in decimal, sha256 in lower-case hex of the stored
// bytes, times in RFC 3339 UTC.
const (
	MetaRecords         = "records"
	MetaSHA256          = "sha256"
	MetaPartitionStart  = "partition_start"
	MetaPartitionEnd    = "partition_end"
	MetaStream          = "stream"
	MetaTenantID        = "tenant_id"
	MetaPart            = "part"
	MetaFormat          = "format"
	MetaArchiverVersion = "archiver_version"
	// MetaReason says why a quarantined record could not be archived
	// (ASCII: metadata travels in HTTP headers).
	MetaReason = "reason"
	// MetaWindowStart and MetaWindowEnd are the query window a quarantined
	// record was served in.
	MetaWindowStart = "window_start"
	MetaWindowEnd   = "window_end"
)

// Sentinel errors. Implementations translate SDK and OS errors into these at
// their boundary, so callers never import an SDK.
var (
	// ErrNotFound: no blob or document of that name.
	ErrNotFound = errors.New("not found")
	// ErrExists: a create-only write found a different blob under the name.
	ErrExists = errors.New("already exists with different content")
	// ErrConflict: a conditional document write lost to a concurrent writer
	// (the version it was based on is no longer current).
	ErrConflict = errors.New("changed concurrently")
	// ErrLeased: a lock is held by someone else.
	ErrLeased = errors.New("held by another owner")
)

// Object describes one stored blob.
type Object struct {
	Name    string
	Size    int64
	ModTime time.Time
	// Metadata with lower-case keys, as written by Put.
	Metadata map[string]string
}

// Sink is the archive's storage. All methods are safe for concurrent use.
// Names are slash-separated paths relative to the sink's root (container or
// folder); implementations reject names that would escape it.
type Sink interface {
	// Put stores body (size bytes) under name with metadata, create-only: an
	// existing blob is never modified or overwritten. If name exists and its
	// stored sha256 equals meta[MetaSHA256], Put returns nil (a retried write
	// found its own blob); otherwise it returns an error wrapping ErrExists.
	// meta must hold MetaSHA256, the hex SHA-256 of body. Put returns only
	// when the blob and its metadata are durable. body may be re-read from the
	// start (Seek) to retry.
	Put(ctx context.Context, name string, body io.ReadSeeker, size int64, meta map[string]string) error

	// Open returns the stored bytes of name exactly as stored (a .gz blob
	// comes back compressed). ErrNotFound if absent.
	Open(ctx context.Context, name string) (io.ReadCloser, error)

	// Stat returns the blob's size and metadata. ErrNotFound if absent.
	Stat(ctx context.Context, name string) (Object, error)

	// List calls fn for every blob whose name starts with prefix, in
	// lexical name order, metadata included. Local sidecars and temporary
	// files are not listed. An error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(Object) error) error

	// Folders calls fn, in lexical order, with the name of every folder
	// directly below prefix ("" or ending in "/") that holds at least one
	// listed blob: "t/" and "u/" for the blobs "t/s/x" and "u/y" under "".
	// Names are full (they start with prefix) and end in "/". It is how the
	// tenants and streams an archive holds are found without listing
	// every blob. An error from fn stops the listing and is returned.
	Folders(ctx context.Context, prefix string, fn func(name string) error) error

	// Delete removes a blob (probe blobs of "config check --online" and
	// tests; the archiver never deletes archive data). Absent is not an error.
	Delete(ctx context.Context, name string) error

	// ReadDoc and WriteDoc keep small mutable documents (job state) next to
	// the archive with optimistic concurrency. ReadDoc returns the content and
	// an opaque version (ErrNotFound if absent). WriteDoc replaces the
	// document only if its current version is ifVersion ("" = only if it does
	// not exist yet) and returns the new version; otherwise ErrConflict.
	ReadDoc(ctx context.Context, name string) (data []byte, version string, err error)
	WriteDoc(ctx context.Context, name string, data []byte, ifVersion string) (version string, err error)

	// Check proves the sink is reachable and usable (readiness, config check).
	Check(ctx context.Context) error
}

// MetaGet reads a metadata value with a case-insensitive key, since some
// services canonicalise metadata keys.
func MetaGet(meta map[string]string, key string) string {
	if v, ok := meta[key]; ok {
		return v
	}
	for k, v := range meta {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}
