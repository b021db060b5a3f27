package credential

import (
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TestSecurityTokenTryTimeoutDefault: every try of a token request is
// bounded unless a test shortens it, and a test's other retry options are
// kept.
func TestSecurityTokenTryTimeoutDefault(t *testing.T) {
	if got := clientOptions(Target{}, &refusalLog{}).Retry.TryTimeout; got != DefaultTryTimeout || got > time.Minute {
		t.Errorf("TryTimeout %v, want DefaultTryTimeout (%v)", got, DefaultTryTimeout)
	}
	co := clientOptions(Target{Retry: &policy.RetryOptions{MaxRetries: 1}}, &refusalLog{})
	if co.Retry.TryTimeout != DefaultTryTimeout || co.Retry.MaxRetries != 1 {
		t.Errorf("retry options %+v", co.Retry)
	}
	if co.Transport == nil {
		t.Error("no transport: azcore's default client follows redirects")
	}
}
