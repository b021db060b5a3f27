package status_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/manifest"
	"github.com/entra-archiver/entra-archiver/internal/status/statustest"
)

// TestChainHead: every sealed stream's row carries the head of its manifest
// chain, the newest manifest with the SHA-256 of its stored bytes, and the
// JSON report shows it as chain_head; a stream not sealed yet has none.
func TestChainHead(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	rep := collect(t, f.Options())
	sealed := 0
	for _, r := range rep.Rows {
		st, _, _, err := f.State.Load(context.Background(), r.Tenant, r.Stream)
		if err != nil {
			t.Fatal(err)
		}
		if st.LastManifest == "" {
			if r.ChainHead != nil {
				t.Errorf("%s/%s is not sealed but shows a chain head %+v", r.Tenant, r.Stream, r.ChainHead)
			}
			continue
		}
		sealed++
		h := r.ChainHead
		if h == nil || h.Manifest != st.LastManifest || !h.SealedThrough.Equal(st.SealedThrough) {
			t.Fatalf("%s/%s chain head %+v, want %s sealed through %s", r.Tenant, r.Stream, h, st.LastManifest, st.SealedThrough)
		}
		// The head is the manifest as stored.
		rc, err := f.Sink.Open(context.Background(), f.Layout.StreamDir(r.Tenant, r.Stream)+h.Manifest)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || manifest.Hash(data) != h.SHA256 {
			t.Fatalf("%s/%s chain head sha256 %s, the stored manifest hashes to %s (%v)", r.Tenant, r.Stream, h.SHA256, manifest.Hash(data), err)
		}
	}
	if sealed == 0 {
		t.Fatal("the fixture seals no stream")
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	head := rep.Rows[0].ChainHead
	want := `"chain_head":{"manifest":"` + head.Manifest + `","sha256":"` + head.SHA256 + `","sealed_through":"`
	if !strings.Contains(string(data), want) {
		t.Fatalf("status JSON lacks %s…:\n%s", want, data)
	}
}
