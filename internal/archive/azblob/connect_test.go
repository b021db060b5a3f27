package azblob_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// TestCreatesPrivateContainer: a missing container is created without
// public access, once, and the log says so.
func TestCreatesPrivateContainer(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	o := options(t)
	o.Logger = zap.New(core)
	newSink(t, o)
	newSink(t, o) // exists now: no second creation
	created := logs.FilterMessageSnippet("created").All()
	if len(created) != 1 || created[0].ContextMap()["container"] != o.Container {
		t.Fatalf("log lines about creation: %v, want one naming container %s", created, o.Container)
	}
	p, err := sdkContainer(t, o).GetProperties(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.BlobPublicAccess != nil {
		t.Fatalf("new container has public access %q, want none", *p.BlobPublicAccess)
	}
}

// TestMustExist: a reading command's sink does not create a missing
// container (a typo must not make a new, empty archive).
func TestMustExist(t *testing.T) {
	o := options(t)
	o.MustExist = true
	_, err := azblob.New(t.Context(), o)
	if !errors.Is(err, archive.ErrNotFound) || !strings.Contains(err.Error(), "container "+o.Container+" does not exist") {
		t.Fatalf("New on a missing container: %v, want ErrNotFound naming it", err)
	}
	if _, err := sdkContainer(t, o).GetProperties(t.Context(), nil); err == nil {
		t.Fatal("the container was created")
	}
	o.MustExist = false
	newSink(t, o)
	o.MustExist = true
	newSink(t, o)
}

// sasConnectionString grants a container SAS with the given permissions.
func sasConnectionString(t *testing.T, o azblob.Options, perms sas.ContainerPermissions) (cs, signature string) {
	t.Helper()
	sasURL, err := sdkContainer(t, o).GetSASURL(perms, time.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(sasURL)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/"+o.Container)
	return "BlobEndpoint=" + endpoint + ";SharedAccessSignature=" + u.RawQuery, u.Query().Get("sig")
}

// TestSAS: a container SAS with every permission the archive needs works
// (it cannot read container properties, so listing proves access); one
// with too few fails with a message listing the permissions, and no part of
// the signature.
func TestSAS(t *testing.T) {
	o := options(t)
	newSink(t, o) // creates the container
	full, _ := sasConnectionString(t, o, sas.ContainerPermissions{Read: true, Add: true, Create: true, Write: true, Delete: true, List: true})
	so := o
	so.ConnectionString = full
	s := newSink(t, so)
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check with a full SAS: %v", err)
	}
	put(t, s, "a/b.jsonl", []byte("via SAS\n"))
	if _, err := s.Acquire(t.Context(), "_locks/t/s", 15*time.Second); err != nil {
		t.Fatalf("Acquire with a full SAS: %v", err)
	}

	readOnly, sig := sasConnectionString(t, o, sas.ContainerPermissions{Read: true})
	so.ConnectionString = readOnly
	_, err := azblob.New(t.Context(), so)
	if err == nil {
		t.Fatal("New with a read-only SAS succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "r, c and l") || strings.Contains(msg, sig) || strings.Contains(msg, url.QueryEscape(sig)) {
		t.Fatalf("error %q: want the needed permissions named and no signature", msg)
	}
}

// TestWrongKey: authentication failure says what to check and does not
// quote the key.
func TestWrongKey(t *testing.T) {
	o := options(t)
	const fakeKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
	i := strings.Index(o.ConnectionString, "AccountKey=") + len("AccountKey=")
	j := i + strings.Index(o.ConnectionString[i:], ";")
	realKey := o.ConnectionString[i:j]
	o.ConnectionString = o.ConnectionString[:i] + fakeKey + o.ConnectionString[j:]
	_, err := azblob.New(t.Context(), o)
	if err == nil {
		t.Fatal("New with a wrong key succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "403") || !strings.Contains(msg, "account name and key") || strings.Contains(msg, fakeKey) || strings.Contains(msg, realKey) {
		t.Fatalf("error %q: want a 403 naming the account key, quoting no key", msg)
	}
}

// TestUnreachable: a refused connection fails New at once (with low
// retries), and an account URL's SAS query never appears in the error.
func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, o := range []azblob.Options{
		{ConnectionString: testenv.AzuriteConnectionString(addr)},
		{AccountURL: "http://" + addr + "/devstoreaccount1?sv=2024-01-01&sig=SECRETSIGNATURE"},
	} {
		o.Container, o.ClientOptions = "archive", fastFail()
		_, err := azblob.New(t.Context(), o)
		if err == nil {
			t.Fatal("New against a closed port succeeded")
		}
		msg := err.Error()
		if !strings.Contains(msg, "connection refused") || strings.Contains(msg, "SECRETSIGNATURE") || strings.Contains(msg, "AccountKey") {
			t.Fatalf("error %q: want a refused connection and no secret", msg)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []azblob.Options{
		{Container: "ok-name"},
		{ConnectionString: "x", AccountURL: "https://a.blob.core.windows.net", Container: "ok-name"},
		{ConnectionString: "not a connection string", Container: "ok-name"},
		{AccountURL: "https://a.blob.core.windows.net", Container: "ok-name"},
		{AccountURL: "https://a.blob.core.windows.net", Container: "Bad_Name"},
		{AccountURL: "https://a.blob.core.windows.net", Container: "ok-name", AccessTier: "Frozen"},
	} {
		if _, err := azblob.New(t.Context(), o); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", o)
		}
	}
}

// TestLeaseBreak: Azure's shortest lease is 15 s, so expiry is simulated by
// breaking the lease (what an operator or a dead holder's timeout does).
func TestLeaseBreak(t *testing.T) {
	o := options(t)
	s := newSink(t, o)
	const name = "_locks/contoso/directory-audits"
	for _, ttl := range []time.Duration{0, 14 * time.Second, 61 * time.Second, 15500 * time.Millisecond} {
		if _, err := s.Acquire(t.Context(), name, ttl); !errors.Is(err, archive.ErrInvalid) {
			t.Errorf("Acquire with ttl %v = %v, want ErrInvalid", ttl, err)
		}
	}
	held, err := s.Acquire(t.Context(), name, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := lease.NewBlobClient(sdkContainer(t, o).NewBlobClient(name), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lc.BreakLease(t.Context(), &lease.BlobBreakOptions{BreakPeriod: new(int32(0))}); err != nil {
		t.Fatalf("break: %v", err)
	}
	if err := held.Renew(t.Context()); !errors.Is(err, archive.ErrLeased) {
		t.Fatalf("Renew of a broken lease = %v, want ErrLeased", err)
	}
	next, err := s.Acquire(t.Context(), name, 60*time.Second)
	if err != nil {
		t.Fatalf("Acquire after break: %v", err)
	}
	if err := held.Release(t.Context()); err != nil {
		t.Fatalf("Release of the broken lease: %v", err)
	}
	if _, err := s.Acquire(t.Context(), name, 60*time.Second); !errors.Is(err, archive.ErrLeased) {
		t.Fatalf("Acquire while the new holder has it = %v, want ErrLeased", err)
	}
	if err := next.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestOpenContentEncodingGzip: a blob another tool stored with
// Content-Encoding: gzip still comes back as the stored (compressed) bytes.
func TestOpenContentEncodingGzip(t *testing.T) {
	o := options(t)
	s := newSink(t, o)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Repeat([]byte(`{"id":"x"}`+"\n"), 100))
	zw.Close()
	stored := buf.Bytes()
	_, err := sdkContainer(t, o).NewBlockBlobClient("foreign.jsonl.gz").Upload(t.Context(), streaming.NopCloser(bytes.NewReader(stored)),
		&blockblob.UploadOptions{HTTPHeaders: &blob.HTTPHeaders{BlobContentEncoding: new("gzip"), BlobContentType: new("application/x-ndjson")}})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(t.Context(), "foreign.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, stored) {
		t.Fatalf("Open returned %d bytes (%v), want the %d stored gzip bytes", len(got), err, len(stored))
	}
}
