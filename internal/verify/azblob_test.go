package verify

import (
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// TestAzurite verifies an archive the job wrote to Azure Blob Storage
// (Azurite), clean and after a middle part is deleted.
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

	for _, f := range testJob.Formats {
		if err := sink.Delete(t.Context(), partName(sealedMulti, 1, f)); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Run(t.Context(), options(sink))
	if err != nil {
		t.Fatal(err)
	}
	checkFaults(t, rep.Faults,
		want{partName(sealedMulti, 1, "jsonl"), "no p001"},
		want{partName(sealedMulti, 1, "jsonl"), "missing: listed in the manifest"},
		want{partName(sealedMulti, 1, "csv"), "missing: listed in the manifest"})
}
