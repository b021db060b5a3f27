package export

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// ErrGap: the archive does not prove it covers the range.
var ErrGap = errors.New("the archive does not cover the range")

// Coverage is what the archive holds of an export's range.
type Coverage struct {
	// StateMissing: the job has no state (its document is lost, or the job
	// never ran), so the archive is judged against itself: its oldest
	// partition is its start, and every partition from there on must have
	// a p000, since no watermark says where the archive ends.
	StateMissing bool
	// Start is where the archive begins (the state's start, or the oldest
	// partition; zero when the archive holds nothing of the stream) and
	// Watermark the job's (zero without state).
	Start, Watermark time.Time
	// Gaps are the runs of partitions of the range that the archive does
	// not prove it covered, oldest first.
	Gaps []Gap
	// Lost are the known losses that overlap the range: spans Graph no
	// longer served when the job got there (from the state, or from the
	// manifests that seal partitions as lost).
	Lost []state.LostSpan
	// PastWatermark: the range reaches past the watermark, where the job
	// has not archived yet; what is there was exported.
	PastWatermark bool
}

// Gap is a run of adjacent partitions the archive does not prove it
// covered, all for one reason.
type Gap struct {
	First, Last audit.Partition
	Reason      string
}

func (g Gap) String() string {
	if g.First == g.Last {
		return "partition " + g.First.Label() + ": " + g.Reason
	}
	return fmt.Sprintf("partitions %s to %s: %s", g.First.Label(), g.Last.Label(), g.Reason)
}

// GapError is ErrGap with the gaps of one tenant's stream.
type GapError struct {
	Tenant, Stream string
	Gaps           []Gap
}

func (e *GapError) Error() string {
	msg := fmt.Sprintf("%s/%s: the archive does not cover the range: %s", e.Tenant, e.Stream, e.Gaps[0])
	if n := len(e.Gaps) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more gap(s))", n)
	}
	return msg + "; to export what the archive holds anyway, add --allow-gaps"
}

func (e *GapError) Unwrap() error { return ErrGap }

// cover checks, from listings alone and before anything is written, what
// the archive holds of the range: a p000 for every partition the state owes
// one (read.Needs), the parts of each partition numbered without gaps and
// as many as the state counted, and the records' JSON where the export
// needs it. Gaps fail the export unless AllowGaps; the rest always does.
func (e *exporter) cover(ctx context.Context) error {
	cov := &e.stats.Coverage
	st := e.o.State
	if st == nil {
		oldest, err := e.s.First(ctx, func(p *read.Partition) bool { return p.Granularity == e.o.Partition })
		if err != nil {
			return err
		}
		// Judged against itself: owed from the oldest partition to the
		// range's end; before the oldest (or anywhere, when there is none)
		// is before the start.
		st = &state.State{Start: e.window.To, Watermark: e.window.To}
		if oldest != nil {
			st.Start = oldest.Start
			cov.Start = oldest.Start
		}
		cov.StateMissing = true
	} else {
		cov.Start, cov.Watermark = st.Start, st.Watermark
		cov.PastWatermark = e.window.To.After(st.Watermark)
		for _, l := range st.Lost {
			if l.From.Before(e.window.To) && l.To.After(e.window.From) {
				cov.Lost = append(cov.Lost, l)
			}
		}
	}
	err := e.eachPartition(ctx, func(p audit.Partition, held *read.Partition) error {
		if held != nil {
			if err := e.checkListing(held, st); err != nil {
				return err
			}
			if held.HasP000() {
				return nil
			}
		}
		need := read.Needs(st, p)
		if need == read.NeverRead || need == read.AfterWatermark {
			return nil
		}
		if held != nil && held.Manifest != nil && cov.StateMissing {
			if lost, err := e.sealedLost(ctx, held); err != nil || lost {
				return err
			}
		}
		e.gap(p, e.gapReason(need))
		return nil
	})
	if err != nil {
		return err
	}
	if len(cov.Gaps) > 0 && !e.o.AllowGaps {
		return &GapError{Tenant: e.o.Tenant, Stream: e.o.Stream.Name, Gaps: cov.Gaps}
	}
	return nil
}

// checkListing fails on what a partition's listing shows to be missing or
// unexportable.
func (e *exporter) checkListing(p *read.Partition, st *state.State) error {
	problems := e.s.MissingParts(p)
	if e.o.State != nil {
		problems = append(problems, e.s.MissingNewest(p, st.PartsOf(p.Start))...)
	}
	if len(problems) > 0 {
		return problems[0].Err()
	}
	for _, pt := range p.Parts {
		if b := pt.Faithful(); b.Format == format.CSV && (e.o.Format != format.CSV || e.o.Where != nil || e.o.Columns == ColumnsPortal) {
			return fmt.Errorf("%s: %w: the part is stored only as csv, so it can be exported as csv only, in the archive's columns and without --where", b.Name, ErrNeedsJSON)
		}
	}
	return nil
}

// sealedLost reports whether p's manifest seals it as lost, and notes the
// loss.
func (e *exporter) sealedLost(ctx context.Context, p *read.Partition) (bool, error) {
	seal, problems, err := e.s.ReadSeal(ctx, p)
	if err != nil {
		return false, err
	}
	if len(problems) > 0 {
		return false, problems[0].Err()
	}
	reason := seal.Manifest.Lost
	if reason == "" {
		return false, nil
	}
	lost := &e.stats.Coverage.Lost
	if n := len(*lost); n > 0 && (*lost)[n-1].To.Equal(p.Start) && (*lost)[n-1].Reason == reason {
		(*lost)[n-1].To = p.End()
	} else {
		*lost = append(*lost, state.LostSpan{From: p.Start, To: p.End(), Reason: reason})
	}
	return true, nil
}

func (e *exporter) gapReason(need read.Need) string {
	cov := &e.stats.Coverage
	switch {
	case cov.StateMissing && cov.Start.IsZero():
		return fmt.Sprintf("not archived: the archive holds no partition of %s/%s", e.o.Tenant, e.o.Stream.Name)
	case cov.StateMissing && need == read.BeforeStart:
		return fmt.Sprintf("before the archive's oldest partition (%s)", audit.FormatTime(cov.Start))
	case cov.StateMissing:
		return "no p000 (without the job's state, every partition from the archive's oldest on must have one)"
	case need == read.BeforeStart:
		return fmt.Sprintf("before the archive's start (%s)", audit.FormatTime(cov.Start))
	}
	return fmt.Sprintf("below the watermark (%s) but no p000: deleted, or the archive was changed outside entra-archiver (run verify)",
		audit.FormatTime(cov.Watermark))
}

// gap notes partition p as a gap, extending the previous one when p
// follows it for the same reason.
func (e *exporter) gap(p audit.Partition, reason string) {
	gaps := &e.stats.Coverage.Gaps
	if n := len(*gaps); n > 0 && (*gaps)[n-1].Last.Next() == p && (*gaps)[n-1].Reason == reason {
		(*gaps)[n-1].Last = p
		return
	}
	*gaps = append(*gaps, Gap{First: p, Last: p, Reason: reason})
}
