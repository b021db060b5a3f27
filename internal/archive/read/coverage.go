package read

import (
	"context"
	"fmt"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// Need is what a job's state promises about one partition.
type Need int

const (
	// Owed: the partition lies between the job's start and its watermark,
	// so it has a p000, even without records.
	Owed Need = iota
	// NeverRead: spans the job never read (Graph no longer served them)
	// cover the partition whole, so it has no p000 by right: a known loss.
	NeverRead
	// BeforeStart: the partition ends at or before the job's start.
	BeforeStart
	// AfterWatermark: the partition starts at or after the watermark: it
	// is not archived yet.
	AfterWatermark
)

// Needs says what st promises about partition p (DESIGN.md: every
// partition below the watermark has a p000; spans Graph no longer served
// are known losses, and can lie before the start).
func Needs(st *state.State, p audit.Partition) Need {
	switch {
	case st.NeverRead(p.Start, p.End()):
		return NeverRead
	case !p.End().After(st.Start):
		return BeforeStart
	case !p.Start.Before(st.Watermark):
		return AfterWatermark
	}
	return Owed
}

// Granularity tells the partition granularity the stream's archive is in:
// the one its state records, else the one its newest manifest's name
// shows, else the one of the partition at the state's start that holds
// parts, trying want first. ok is false when nothing tells (nothing
// archived yet). A stream keeps one granularity: its parts deduplicate
// against their own partition's only, and a reader of the other finds
// nothing.
func (s Stream) Granularity(ctx context.Context, st *state.State, want audit.Granularity) (g audit.Granularity, ok bool, err error) {
	switch {
	case st.Partition != "":
		g, err := audit.ParseGranularity(st.Partition)
		if err != nil {
			return g, false, fmt.Errorf("state of %s/%s: %w", s.Tenant, s.Stream.Name, err)
		}
		return g, true, nil
	case st.LastManifest != "":
		if strings.Contains(st.LastManifest, "/h=") {
			return audit.Hour, true, nil
		}
		return audit.Day, true, nil
	case st.Start.IsZero() || !st.Watermark.After(st.Start):
		return want, false, nil
	}
	for _, g := range []audit.Granularity{want, other(want)} {
		p, err := s.Partition(ctx, g.Of(st.Start))
		if err != nil {
			return want, false, err
		}
		if len(p.Parts) > 0 {
			return g, true, nil
		}
	}
	return want, false, nil
}

func other(g audit.Granularity) audit.Granularity {
	if g == audit.Hour {
		return audit.Day
	}
	return audit.Hour
}
