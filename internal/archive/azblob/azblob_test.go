package azblob_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/archivetest"
	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fastFail keeps a refused connection from retrying for ~17 s.
func fastFail() *azcore.ClientOptions {
	return &azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 50 * time.Millisecond, TryTimeout: 30 * time.Second}}
}

// options for a fresh container on the test Azurite, with a block threshold
// far below archivetest.LargeSize so the suite exercises staged uploads.
func options(t *testing.T) azblob.Options {
	return azblob.Options{
		ConnectionString: testenv.Azurite(t),
		Container:        testenv.Container(t),
		ClientOptions:    fastFail(),
		BlockThreshold:   1 << 20,
		BlockSize:        256 << 10,
		Concurrency:      3,
	}
}

func newSink(t *testing.T, o azblob.Options) *azblob.Sink {
	t.Helper()
	s, err := azblob.New(t.Context(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	archivetest.Run(t, func(t *testing.T) archive.Sink { return newSink(t, options(t)) })
}

// sdkContainer is a plain SDK client on the same container, to look at what
// the sink stored.
func sdkContainer(t *testing.T, o azblob.Options) *container.Client {
	t.Helper()
	c, err := container.NewClientFromConnectionString(o.ConnectionString, o.Container, &container.ClientOptions{ClientOptions: *fastFail()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func put(t *testing.T, s *azblob.Sink, name string, body []byte) {
	t.Helper()
	if err := s.Put(t.Context(), name, bytes.NewReader(body), int64(len(body)), map[string]string{"sha256": digest(body), "records": "3"}); err != nil {
		t.Fatalf("Put(%s): %v", name, err)
	}
}

// TestStoredForm pins what other tools see: content type by extension, no
// Content-Encoding, a whole-blob Content-MD5 (also for staged uploads), the
// access tier, metadata under lower-case keys.
func TestStoredForm(t *testing.T) {
	o := options(t)
	o.AccessTier = "cool"
	s := newSink(t, o)
	c := sdkContainer(t, o)
	small := []byte("small\n")
	large := bytes.Repeat([]byte("0123456789abcdef"), int(o.BlockThreshold+12345)/16)
	for _, tc := range []struct {
		name, contentType string
		body              []byte
	}{
		{"a/p000.jsonl.gz", "application/gzip", small},
		{"a/p000.jsonl", "application/x-ndjson", small},
		{"a/p000.json", "application/json", small},
		{"a/p000.csv", "text/csv; charset=utf-8", small},
		{"a/p000.csv.gz", "application/gzip", large},
		{"a/other", "application/octet-stream", small},
	} {
		put(t, s, tc.name, tc.body)
		p, err := c.NewBlobClient(tc.name).GetProperties(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(tc.body)
		switch {
		case p.ContentType == nil || *p.ContentType != tc.contentType:
			t.Errorf("%s: Content-Type %v, want %s", tc.name, deref(p.ContentType), tc.contentType)
		case p.ContentEncoding != nil && *p.ContentEncoding != "":
			t.Errorf("%s: Content-Encoding %q, want none", tc.name, *p.ContentEncoding)
		case !bytes.Equal(p.ContentMD5, sum[:]):
			t.Errorf("%s: Content-MD5 %x, want %x", tc.name, p.ContentMD5, sum)
		case p.AccessTier == nil || *p.AccessTier != "Cool":
			t.Errorf("%s: access tier %v, want Cool", tc.name, deref(p.AccessTier))
		}
	}
	pager := c.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Include: container.ListBlobsInclude{Metadata: true}})
	page, err := pager.NextPage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range page.Segment.BlobItems {
		for k := range item.Metadata {
			if k != "sha256" && k != "records" {
				t.Errorf("%s: stored metadata key %q, want lower-case sha256 and records", *item.Name, k)
			}
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
