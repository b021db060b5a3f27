package verify

import (
	"maps"
	"slices"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// Spans the job never read because Graph no longer served them are known
// losses: their partitions have no p000, and those below the seal point are
// sealed by manifests that say so (manifest.Manifest.Lost), which keep the
// chain whole and claim nothing.

// JobInfo is what verify found of one job that is information, not a fault:
// its known losses and its quarantined records.
type JobInfo struct {
	Tenant, Stream string
	// Lost lists the spans the job could not read because Graph no longer
	// served them (from its state, or from the manifests that seal
	// partitions as lost when the state document is missing) that overlap
	// the range checked, oldest first. A never-read span's partitions have
	// no p000 by design.
	Lost []state.LostSpan
	// Quarantined counts the quarantined records found in QuarantineDir
	// (blobs named by the SHA-256 of their bytes).
	Quarantined   int
	QuarantineDir string
}

// checkLostSeals reports manifests that seal a partition as lost where the
// state records no never-read span: one of the two is wrong.
func (r *jobRun) checkLostSeals() {
	if r.inferred {
		return
	}
	for _, start := range slices.SortedFunc(maps.Keys(r.lostSeals), time.Time.Compare) {
		p := audit.Partition{Start: start, Granularity: r.job.Partition}
		if !r.st.NeverRead(p.Start, p.End()) {
			r.fault(r.o.Layout.ManifestName(r.job.Tenant, r.job.Stream.Name, p),
				"seals partition %s as lost (%q), but the state records no never-read span over it", p.Label(), r.lostSeals[start])
		}
	}
}

// knownLosses are the job's lost spans that overlap the range checked: the
// state's, or those the lost manifests describe when the state was
// inferred.
func (r *jobRun) knownLosses() []state.LostSpan {
	var spans []state.LostSpan
	if r.inferred || !r.stateFound {
		spans = r.lostFromSeals()
	} else {
		spans = r.lost
	}
	var out []state.LostSpan
	for _, l := range spans {
		if (r.o.To.IsZero() || l.From.Before(r.o.To)) && (r.o.From.IsZero() || l.To.After(r.o.From)) {
			out = append(out, l)
		}
	}
	return out
}

// lostFromSeals merges the partitions sealed as lost into spans, one per
// run of adjacent partitions with the same reason.
func (r *jobRun) lostFromSeals() []state.LostSpan {
	var out []state.LostSpan
	for _, start := range slices.SortedFunc(maps.Keys(r.lostSeals), time.Time.Compare) {
		p := audit.Partition{Start: start, Granularity: r.job.Partition}
		reason := r.lostSeals[start]
		if n := len(out); n > 0 && out[n-1].To.Equal(p.Start) && out[n-1].Reason == reason {
			out[n-1].To = p.End()
			continue
		}
		out = append(out, state.LostSpan{From: p.Start, To: p.End(), Reason: reason})
	}
	return out
}

// info is the job's JobInfo.
func (r *jobRun) info() JobInfo {
	lost := r.knownLosses()
	slices.SortStableFunc(lost, func(a, b state.LostSpan) int { return a.From.Compare(b.From) })
	return JobInfo{Tenant: r.job.Tenant, Stream: r.job.Stream.Name, Lost: lost,
		Quarantined: r.quarantined, QuarantineDir: r.quarantineDir}
}
