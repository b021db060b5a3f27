package verify

import (
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/state"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// TestAzurite verifies an archive the job wrote to Azure Blob Storage
// (Azurite), clean (with quarantined records, whose metadata travel as
// headers) and after a middle part is deleted.
func TestAzurite(t *testing.T) {
	sink, err := azblob.New(t.Context(), azblob.Options{
		ConnectionString: testenv.Azurite(t),
		Container:        testenv.Container(t),
		ClientOptions:    &azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 50 * time.Millisecond}},
	})
	if err != nil {
		t.Fatal(err)
	}
	buildArchive(t, sink)
	testClean(t, sink)
	for _, raw := range []string{`{"id":"q1"}`, `{"createdDateTime":"2026-11-20T01:00:00Z"}`} {
		putQuarantined(t, sink, raw, nil)
	}
	editState(t, sink, func(st *state.State) { st.Quarantined = 2 })
	rep, err := Run(t.Context(), options(sink))
	if err != nil {
		t.Fatal(err)
	}
	checkFaults(t, rep.Faults)
	if rep.Jobs[0].Quarantined != 2 {
		t.Fatalf("quarantined %d, want 2", rep.Jobs[0].Quarantined)
	}

	for _, f := range testJob.Formats {
		if err := sink.Delete(t.Context(), partName(sealedMulti, 1, f)); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = Run(t.Context(), options(sink))
	if err != nil {
		t.Fatal(err)
	}
	checkFaults(t, rep.Faults,
		want{partName(sealedMulti, 1, "jsonl"), "no p001"},
		want{partName(sealedMulti, 1, "jsonl"), "missing: listed in the manifest"},
		want{partName(sealedMulti, 1, "csv"), "missing: listed in the manifest"})
}
