package azblob_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// sasFor is a connection string with a SAS for the storage endpoint at url.
func sasFor(url string) string {
	return "BlobEndpoint=" + url + "/devstoreaccount1;SharedAccessSignature=sv=2020-08-04&ss=b&srt=sco&sp=rl&se=2099-01-01T00:00:00Z&sig=SECRETSIGNATURE"
}

// TestSecurityStorageRedirectNotFollowed: a storage endpoint answering a
// redirect is refused with an error naming the Location's host, and
// neither the SAS nor anything else reaches the redirect target.
func TestSecurityStorageRedirectNotFollowed(t *testing.T) {
	var stolen atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	defer target.Close()
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+r.URL.RequestURI(), status)
		}))
		defer srv.Close()
		_, err := azblob.New(t.Context(), azblob.Options{ConnectionString: sasFor(srv.URL), Container: "entra-logs", ClientOptions: fastFail()})
		re, ok := errors.AsType[*egress.RedirectError](err)
		if !ok || re.Status != status {
			t.Fatalf("%d: New = %v, want a refused redirect", status, err)
		}
		if msg := err.Error(); !strings.Contains(msg, target.URL) || strings.Contains(msg, "SECRET") {
			t.Errorf("%d: message %q must name the Location's host and not the SAS", status, msg)
		}
	}
	if n := stolen.Load(); n != 0 {
		t.Fatalf("the redirect was followed: %d requests reached its target", n)
	}
}

// TestSecurityStorageCallTimesOut: a storage endpoint that never answers
// fails the call after its bounded tries instead of hanging.
func TestSecurityStorageCallTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	_, err := azblob.New(t.Context(), azblob.Options{ConnectionString: sasFor(srv.URL), Container: "entra-logs",
		ClientOptions: &azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 10 * time.Millisecond, TryTimeout: 300 * time.Millisecond}}})
	if err == nil {
		t.Fatal("New succeeded against a silent endpoint")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("New took %v against a silent endpoint", d)
	}
}
