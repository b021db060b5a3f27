package export

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/archivetest"
	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/job/jobtest"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestAzurite exports an archive the job wrote to Azure Blob Storage
// (Azurite), whose metadata travel as headers: a covered range whole, a
// range before the start as a gap, and a sealed part replaced by one with
// an altered record and metadata to match (what whoever can write the
// container could do) as damage, caught by the manifest.
func TestAzurite(t *testing.T) {
	sink, err := azblob.New(t.Context(), azblob.Options{
		ConnectionString: testenv.Azurite(t),
		Container:        testenv.Container(t),
		ClientOptions:    &azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 50 * time.Millisecond}},
	})
	if err != nil {
		t.Fatal(err)
	}
	jobtest.ArchiveHourly(t, jobSettings("jsonl"), sourceRecords(), sink, testLay, t0, runs)
	all := archivedRecords(t, sink)
	from, to := time.Date(2026, 11, 19, 20, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	got, stats := run(t, strict(sink, from, to))
	if got != jsonlOf(expected(all, from, to, false, nil)) || len(stats.Coverage.Gaps) > 0 || stats.Blobs == 0 {
		t.Fatalf("export of a covered range: %d records from %d blobs, coverage %+v", stats.Records, stats.Blobs, stats.Coverage)
	}
	if _, err := Run(t.Context(), strict(sink, from.Add(-6*time.Hour), to), io.Discard); !errors.Is(err, ErrGap) {
		t.Fatalf("export from before the start: %v, want ErrGap", err)
	}

	name := partName(sealedMulti, 1, "jsonl")
	obj, err := sink.Stat(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	stored, sum := archivetest.Regzip(t, sink, name, func(data []byte) []byte {
		return bytes.Replace(data, []byte(`"errorCode":0`), []byte(`"errorCode":1`), 1)
	})
	meta := obj.Metadata
	meta[archive.MetaSHA256] = sum
	if err := sink.Delete(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	if err := sink.Put(t.Context(), name, bytes.NewReader(stored), int64(len(stored)), meta); err != nil {
		t.Fatal(err)
	}
	_, err = Run(t.Context(), strict(sink, from, to), io.Discard)
	var de *read.DamageError
	if !errors.As(err, &de) || de.Blob != name || !strings.Contains(err.Error(), "sha256 mismatch: manifest") {
		t.Fatalf("export over a rewritten sealed part: %v, want damage of %s caught by the manifest", err, name)
	}
}
