package verify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/manifest"
)

// The head of a stream's manifest chain lives beside the data, so whoever
// can rewrite the container can rewrite the whole chain consistently: every
// manifest re-hashed from the altered one to the newest, the state's head
// updated. A head recorded earlier somewhere else (a ticket, a mail,
// another account) anchors the chain: the manifest it names must still be
// there with the bytes it hashed to, and the chain must still reach it, or
// the chain up to it was rewritten.

// Head is a chain head recorded earlier: the newest manifest of a stream
// (stream-relative, as manifests name each other) and the SHA-256 of its
// bytes.
type Head struct {
	Tenant, Stream string
	Manifest       string
	SHA256         string
	// Where says where it was recorded, for messages ("heads.txt line 3").
	Where string
}

// ParseHeads reads recorded heads in any of three forms:
//
//   - lines "tenant/stream manifest sha256" (blank lines and lines starting
//     with # are ignored);
//   - the JSON report of "status --json" (every row's chain_head);
//   - the JSON log lines of seals ("the stream's manifest chain has a new
//     head", with tenant, stream, manifest and sha256).
//
// name names the source in messages.
func ParseHeads(r io.Reader, name string) ([]Head, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		return parseJSONHeads(data, name)
	}
	var heads []Head
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := fmt.Sprintf("%s line %d", name, n)
		fields := strings.Fields(line)
		tenant, stream, ok := strings.Cut(fieldAt(fields, 0), "/")
		if len(fields) != 3 || !ok || tenant == "" || stream == "" {
			return nil, fmt.Errorf("%s: want \"tenant/stream manifest sha256\", got %q", where, line)
		}
		h := Head{Tenant: tenant, Stream: stream, Manifest: fields[1], SHA256: fields[2], Where: where}
		if err := h.check(); err != nil {
			return nil, err
		}
		heads = append(heads, h)
	}
	return heads, sc.Err()
}

func fieldAt(fields []string, i int) string {
	if i < len(fields) {
		return fields[i]
	}
	return ""
}

// jsonHead is a status report's row or a seal's log line.
type jsonHead struct {
	Tenant    string `json:"tenant"`
	Stream    string `json:"stream"`
	Manifest  string `json:"manifest"`
	SHA256    string `json:"sha256"`
	ChainHead *struct {
		Manifest string `json:"manifest"`
		SHA256   string `json:"sha256"`
	} `json:"chain_head"`
}

func parseJSONHeads(data []byte, name string) ([]Head, error) {
	var heads []Head
	dec := json.NewDecoder(bytes.NewReader(data))
	for n := 1; ; n++ {
		var doc struct {
			Rows []jsonHead `json:"rows"`
			jsonHead
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return heads, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not a status --json report or seal log lines: %w", name, err)
		}
		rows := doc.Rows
		if doc.Manifest != "" {
			rows = append(rows, doc.jsonHead)
		}
		for _, r := range rows {
			h := Head{Tenant: r.Tenant, Stream: r.Stream, Manifest: r.Manifest, SHA256: r.SHA256, Where: fmt.Sprintf("%s value %d", name, n)}
			if r.ChainHead != nil {
				h.Manifest, h.SHA256 = r.ChainHead.Manifest, r.ChainHead.SHA256
				h.Where = fmt.Sprintf("%s (%s/%s)", name, r.Tenant, r.Stream)
			}
			if h.Manifest == "" {
				continue // a row of a stream not sealed yet, another log line
			}
			if err := h.check(); err != nil {
				return nil, err
			}
			heads = append(heads, h)
		}
	}
}

func (h Head) check() error {
	if h.Tenant == "" || h.Stream == "" {
		return fmt.Errorf("%s: the head names no tenant and stream", h.Where)
	}
	if !isSHA256(h.SHA256) {
		return fmt.Errorf("%s: %q is not a lower-case hex SHA-256", h.Where, h.SHA256)
	}
	return nil
}

// checkHeads checks the heads recorded for the job: each names a manifest
// of the stream that is still stored with the bytes it hashed to, and that
// the chain still reaches (from the job's start to its seal point, where
// checkChain follows every link).
func (r *jobRun) checkHeads(ctx context.Context) error {
	for _, h := range r.o.Heads {
		if h.Tenant != r.job.Tenant || h.Stream != r.job.Stream.Name {
			continue
		}
		r.rep.Heads++
		e, ok := layout.ParseName(r.job.Stream.Name, layout.BaseName(h.Manifest))
		full := r.dir + h.Manifest
		if !ok || !e.Manifest || full != r.o.Layout.ManifestName(r.job.Tenant, r.job.Stream.Name, e.Partition) {
			r.fault(full, "the chain head recorded in %s is not a manifest of %s/%s", h.Where, h.Tenant, h.Stream)
			continue
		}
		data, err := read.ReadSmall(ctx, r.o.Sink, full)
		switch {
		case errors.Is(err, archive.ErrNotFound):
			r.fault(full, "missing: it was recorded as the chain head (sha256 %s) in %s; the chain was cut or rewritten",
				read.ShortHash(h.SHA256), h.Where)
			continue
		case errors.Is(err, archive.ErrTooLarge):
			r.fault(full, "not a manifest (%v), yet recorded as the chain head in %s: the chain was rewritten", err, h.Where)
			continue
		case err != nil:
			return err
		}
		if sum := manifest.Hash(data); sum != h.SHA256 {
			r.fault(full, "the chain was rewritten: recorded as the chain head in %s with sha256 %s, its stored bytes hash to %s",
				h.Where, read.ShortHash(h.SHA256), read.ShortHash(sum))
			continue
		}
		if r.st == nil {
			continue
		}
		p := e.Partition
		switch {
		case p.Granularity != r.job.Partition || p.Start.Before(r.st.Start):
			r.fault(full, "the chain no longer reaches the head recorded in %s: the job's chain starts at %s in %s partitions",
				h.Where, audit.FormatTime(r.st.Start), r.job.Partition)
		case p.End().After(r.st.SealedThrough):
			r.fault(full, "the chain was cut back: recorded as the chain head in %s, but the state seals only through %s",
				h.Where, audit.FormatTime(r.st.SealedThrough))
		}
	}
	return nil
}
