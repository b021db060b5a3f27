package archive

import (
	"maps"
	"testing"
	"time"
)

func TestMetaMap(t *testing.T) {
	start := time.Date(2026, 11, 27, 3, 0, 0, 0, time.FixedZone("x", 3600))
	end := start.Add(time.Hour)
	common := map[string]string{MetaSHA256: "ab", MetaStream: "provisioning", MetaTenantID: "t", MetaArchiverVersion: "v1"}
	with := func(kv ...string) map[string]string {
		m := maps.Clone(common)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	base := Meta{SHA256: "ab", Stream: "provisioning", TenantID: "t", Version: "v1", Start: start, End: end}
	part, manifest, quarantine := base, base, base
	part.Kind, part.Records, part.Part, part.Format = PartBlob, 0, 1, "jsonl"
	manifest.Kind, manifest.Records = ManifestBlob, 12
	quarantine.Kind, quarantine.Reason = QuarantineBlob, "no id"
	for _, tc := range []struct {
		m    Meta
		want map[string]string
	}{
		{part, with(MetaRecords, "0", MetaPartitionStart, "2026-11-27T02:00:00Z", MetaPartitionEnd, "2026-11-27T03:00:00Z", MetaPart, "1", MetaFormat, "jsonl")},
		{manifest, with(MetaRecords, "12", MetaPartitionStart, "2026-11-27T02:00:00Z", MetaPartitionEnd, "2026-11-27T03:00:00Z", MetaFormat, "manifest")},
		{quarantine, with(MetaReason, "no id", MetaWindowStart, "2026-11-27T02:00:00Z", MetaWindowEnd, "2026-11-27T03:00:00Z")},
	} {
		if got := tc.m.Map(); !maps.Equal(got, tc.want) {
			t.Errorf("%+v:\n got %v\nwant %v", tc.m, got, tc.want)
		}
	}
}
