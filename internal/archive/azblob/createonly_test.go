package azblob_test

import (
	"bytes"
	"crypto/md5"
	"errors"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// createOnlySAS is what a WORM container looks like to a writer: a
// container SAS granting read, create and list, and neither write (over an
// existing blob) nor delete. Azurite answers 403 to a second upload of a
// name and to a delete (shared/AZURITE-NOTES.md).
var createOnlySAS = sas.ContainerPermissions{Read: true, Create: true, List: true}

// TestPutUnderCreateOnlySAS: the sink archives through a create-only SAS.
// A new blob is stored with its Content-MD5 and metadata in the upload
// itself; a retried Put of the same content, single or staged, succeeds by
// finding its own blob; one of other content is ErrExists, not a
// permission error; nothing can be deleted.
//
// The large blob is first written with the account key: Azure accepts c for
// Put Block and Put Block List since service version 2026-04-06, but
// Azurite 3.37 still asks w for them, so only its retries are tested here.
func TestPutUnderCreateOnlySAS(t *testing.T) {
	o := options(t)
	withKey := newSink(t, o) // creates the container
	so := o
	so.ConnectionString, _ = sasConnectionString(t, o, createOnlySAS)
	s := newSink(t, so)
	c := sdkContainer(t, o)

	small := []byte("small\n")
	large := bytes.Repeat([]byte("0123456789abcdef"), int(o.BlockThreshold+12345)/16)
	put(t, withKey, "a/p001.jsonl.gz", large)
	for _, tc := range []struct {
		name        string
		body, other []byte
	}{
		{"a/p000.jsonl.gz", small, []byte("other\n")},
		{"a/p001.jsonl.gz", large, append(bytes.Clone(large), '!')},
	} {
		put(t, s, tc.name, tc.body)
		put(t, s, tc.name, tc.body) // a retry finds its own blob
		err := s.Put(t.Context(), tc.name, bytes.NewReader(tc.other), int64(len(tc.other)),
			map[string]string{"sha256": digest(tc.other), "records": "3"})
		if !errors.Is(err, archive.ErrExists) {
			t.Fatalf("%s: Put of other content under a create-only SAS: %v, want ErrExists", tc.name, err)
		}
		p, err := c.NewBlobClient(tc.name).GetProperties(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(tc.body)
		if !bytes.Equal(p.ContentMD5, sum[:]) || p.Metadata["Sha256"] == nil || *p.Metadata["Sha256"] != digest(tc.body) {
			t.Errorf("%s: Content-MD5 %x, metadata %v: want %x and the sha256 of the first body", tc.name, p.ContentMD5, p.Metadata, sum)
		}
	}
	if err := s.Delete(t.Context(), "a/p000.jsonl.gz"); err == nil {
		t.Fatal("Delete under a create-only SAS succeeded: the SAS is not create-only")
	}
}

// TestPutWithoutCreatePermission: a 403 on a name that does not exist is a
// missing permission, reported with what to grant.
func TestPutWithoutCreatePermission(t *testing.T) {
	o := options(t)
	newSink(t, o)
	so := o
	so.ConnectionString, _ = sasConnectionString(t, o, sas.ContainerPermissions{Read: true, List: true})
	s := newSink(t, so)
	body := []byte("x\n")
	err := s.Put(t.Context(), "a/new.jsonl", bytes.NewReader(body), int64(len(body)), map[string]string{"sha256": digest(body)})
	if err == nil || errors.Is(err, archive.ErrExists) || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "r, c and l") {
		t.Fatalf("Put with a read-only SAS: %v, want a 403 naming the permissions", err)
	}
}
