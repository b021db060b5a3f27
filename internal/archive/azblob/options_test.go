package azblob

import (
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TestSecurityStorageClientOptions: every try of a storage call is bounded
// unless a test chose its own bound, and no client is built on azcore's
// default transport (which follows redirects), a test's own included.
func TestSecurityStorageClientOptions(t *testing.T) {
	o := clientOptions(Options{})
	if o.Retry.TryTimeout != DefaultTryTimeout || DefaultTryTimeout > 5*time.Minute {
		t.Errorf("TryTimeout %v, want DefaultTryTimeout", o.Retry.TryTimeout)
	}
	if o.Transport == nil {
		t.Error("no transport: azcore's default client follows redirects")
	}
	mine := &http.Client{}
	o = clientOptions(Options{ClientOptions: &azcore.ClientOptions{Transport: mine, Retry: policy.RetryOptions{MaxRetries: 1, TryTimeout: time.Second}}})
	if o.Transport == policy.Transporter(mine) || o.Retry.TryTimeout != time.Second || o.Retry.MaxRetries != 1 {
		t.Errorf("a test's options: transport %T, retry %+v; want its transport wrapped and its retries kept", o.Transport, o.Retry)
	}
}
