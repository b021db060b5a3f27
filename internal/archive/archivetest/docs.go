package archivetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

const docName = "_state/contoso/interactive-signins.json"

func testDoc(t *testing.T, s archive.Sink) {
	ctx := t.Context()
	v1, err := s.WriteDoc(ctx, docName, []byte(`{"watermark":"1"}`), "")
	if err != nil || v1 == "" {
		t.Fatalf("create: version %q, err %v", v1, err)
	}
	_, err = s.WriteDoc(ctx, docName, []byte(`{"watermark":"x"}`), "")
	wantErr(t, "second create", err, archive.ErrConflict)
	wantDoc(t, s, `{"watermark":"1"}`, v1)

	v2, err := s.WriteDoc(ctx, docName, []byte(`{"watermark":"2"}`), v1)
	if err != nil || v2 == "" || v2 == v1 {
		t.Fatalf("update: version %q (previous %q), err %v", v2, v1, err)
	}
	wantDoc(t, s, `{"watermark":"2"}`, v2)

	_, err = s.WriteDoc(ctx, docName, []byte(`{"watermark":"stale"}`), v1)
	wantErr(t, "write based on a stale version", err, archive.ErrConflict)
	_, err = s.WriteDoc(ctx, docName, []byte(`{"watermark":"bogus"}`), "not-a-version")
	wantErr(t, "write based on an unknown version", err, archive.ErrConflict)
	wantDoc(t, s, `{"watermark":"2"}`, v2)

	_, err = s.WriteDoc(ctx, "_state/contoso/never-written.json", []byte("{}"), v2)
	wantErr(t, "update of a missing document", err, archive.ErrConflict)
	_, _, err = s.ReadDoc(ctx, "_state/contoso/never-written.json")
	wantErr(t, "ReadDoc after a failed update", err, archive.ErrNotFound)
}

func wantDoc(t *testing.T, s archive.Sink, content, version string) {
	t.Helper()
	data, v, err := s.ReadDoc(t.Context(), docName)
	if err != nil {
		t.Fatalf("ReadDoc: %v", err)
	}
	if string(data) != content || v != version {
		t.Fatalf("ReadDoc = %q version %q, want %q version %q", data, v, content, version)
	}
}

// testDocConcurrent races writers on one version, round after round: exactly
// one wins each round, the rest get ErrConflict, and the document holds the
// winner's bytes under the winner's version.
func testDocConcurrent(t *testing.T, s archive.Sink) {
	const writers, rounds = 8, 4
	version := "" // round 0 races on creation
	for round := range rounds {
		versions := make([]string, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Go(func() {
				versions[i], errs[i] = s.WriteDoc(t.Context(), docName, fmt.Appendf(nil, `{"round":%d,"writer":%d}`, round, i), version)
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both won", round, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, archive.ErrConflict):
				t.Fatalf("round %d: writer %d: got %v, want ErrConflict", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won", round)
		}
		data, v, err := s.ReadDoc(t.Context(), docName)
		if err != nil {
			t.Fatalf("round %d: ReadDoc: %v", round, err)
		}
		if want := fmt.Appendf(nil, `{"round":%d,"writer":%d}`, round, winner); !bytes.Equal(data, want) || v != versions[winner] {
			t.Fatalf("round %d: document %q version %q, want the winner's %q version %q", round, data, v, want, versions[winner])
		}
		version = v
	}
}
