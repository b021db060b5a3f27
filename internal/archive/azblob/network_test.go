package azblob_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/egress"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// TestUnreachableStorage: a storage endpoint that cannot be reached (a
// closed port, a name DNS does not know, a certificate nobody trusts, no
// answer) is named with the cause and what to check, as the transport
// found it, and without the SAS; it is not taken for an access problem.
func TestUnreachableStorage(t *testing.T) {
	t.Parallel()
	u := testenv.NewUnreachable(t)
	for _, tc := range []struct {
		name, url string
		cause     egress.Cause
		says      []string
	}{
		{"refused", u.Refused, egress.Refused, []string{"the connection was refused", "firewall"}},
		{"no such host", u.NoSuchHost, egress.NoSuchHost, []string{"DNS has no such name", "private DNS zone"}},
		{"untrusted certificate", u.Untrusted, egress.Untrusted, []string{"not trusted", "SSL_CERT_FILE"}},
		{"no answer", u.Silent, egress.NoAnswer, []string{"no answer in time", "HTTPS_PROXY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := azblob.New(t.Context(), azblob.Options{
				ConnectionString: "BlobEndpoint=" + tc.url + "/acct;SharedAccessSignature=sv=2024-01-01&sig=SECRETSIG",
				Container:        "archive", MustExist: true,
				ClientOptions: &azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1, TryTimeout: 300 * time.Millisecond}},
			})
			var ne *egress.NetworkError
			if !errors.As(err, &ne) || ne.Cause != tc.cause {
				t.Fatalf("New: %v; want a *egress.NetworkError of cause %d", err, tc.cause)
			}
			msg := err.Error()
			host := strings.TrimPrefix(tc.url, "https://")
			for _, s := range append([]string{"cannot reach " + host + ": "}, tc.says...) {
				if !strings.Contains(msg, s) {
					t.Errorf("error lacks %q:\n%s", s, msg)
				}
			}
			for _, s := range []string{"SECRETSIG", "Storage Blob Data Contributor", "sig="} {
				if strings.Contains(msg, s) {
					t.Errorf("error has %q:\n%s", s, msg)
				}
			}
		})
	}
}
