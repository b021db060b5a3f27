package job

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// One bad record never stalls a stream (DESIGN.md "Never stall on one
// thing"): a record Graph serves without a readable id or event time cannot
// be placed in a partition or told apart from others (nor can a version of
// a record beyond read.MaxVersions be archived with it), so it is kept,
// bytes as served, under {prefix}_quarantine/{tenant}/{stream}/{sha256}.json with
// the reason in its metadata, and the rest of its page is archived. The
// name is the content's hash and the write create-only, so a record served
// again (a recheck, a split window) finds its own blob and is counted once.

// quarantine stores the rejected records of a page served for window q.
func (r *run) quarantine(ctx context.Context, q audit.Window, rejects []audit.Reject) error {
	j := r.j
	for _, rej := range rejects {
		sum := sha256.Sum256(rej.Raw)
		hexSum := hex.EncodeToString(sum[:])
		name := j.deps.Layout.QuarantineName(j.set.Tenant, j.set.Stream.Name, hexSum)
		_, err := j.deps.Sink.Stat(ctx, name)
		switch {
		case err == nil:
			continue // quarantined before
		case !errors.Is(err, archive.ErrNotFound):
			return fmt.Errorf("quarantine %s: %w", name, err)
		}
		meta := archive.Meta{Kind: archive.QuarantineBlob, SHA256: hexSum, Reason: asciiOnly(rej.Reason), Start: q.From, End: q.To,
			Stream: j.set.Stream.Name, TenantID: j.set.TenantID, Version: j.deps.Version}.Map()
		if err := j.deps.Sink.Put(ctx, name, bytes.NewReader(rej.Raw), int64(len(rej.Raw)), meta); err != nil {
			return fmt.Errorf("quarantine %s: %w", name, err)
		}
		r.res.Quarantined++
		if r.pr != nil {
			r.pr.st.Quarantined++
		}
		j.deps.Metrics.Quarantined(j.set.Tenant, j.set.Stream.Name, 1)
		j.log.Warn("record quarantined: it cannot be archived with the others (see reason); "+
			"its bytes are kept as served (verify and status count them)",
			zap.String("blob", name), zap.String("reason", meta[archive.MetaReason]), zap.Stringer("window", q))
	}
	return nil
}

// asciiOnly keeps printable ASCII and replaces the rest: metadata travels
// in HTTP headers.
func asciiOnly(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}
