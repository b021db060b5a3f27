package azblob

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// responseError builds the SDK's error for a service answer.
func responseError(status int, code string) error {
	req, _ := http.NewRequest(http.MethodHead, "https://acct.blob.core.windows.net/archive?restype=container&sig=SECRET", nil)
	resp := &http.Response{
		StatusCode: status,
		Status:     http.StatusText(status),
		Header:     http.Header{"X-Ms-Error-Code": {code}},
		Body:       io.NopCloser(strings.NewReader("<Error><Code>" + code + "</Code><Message>The MAC signature SIGNATURE differs</Message></Error>")),
		Request:    req,
	}
	return runtime.NewResponseError(resp)
}

// TestFail pins the user-facing message of each kind of 403 and that no
// signature, URL query or response body gets through.
func TestFail(t *testing.T) {
	for _, tc := range []struct {
		auth auth
		err  error
		want string
	}{
		{authToken, responseError(403, "AuthorizationPermissionMismatch"),
			`open container archive: storage service answered 403 Forbidden (AuthorizationPermissionMismatch): grant this identity the role "Storage Blob Data Contributor" on container "archive" (or on its storage account)`},
		{authSAS, responseError(403, "AuthorizationPermissionMismatch"),
			`open container archive: storage service answered 403 Forbidden (AuthorizationPermissionMismatch): the SAS must be valid now and grant the permissions r, c and l on container "archive", and w too if it keeps the state and leases (an account SAS also the resource types c and o)`},
		{authKey, responseError(403, "AuthenticationFailed"),
			`open container archive: storage service answered 403 Forbidden (AuthenticationFailed): check the account name and key in the connection string, and that this machine's clock is right`},
		{authToken, responseError(403, "AuthorizationFailure"),
			`open container archive: storage service answered 403 Forbidden (AuthorizationFailure): grant this identity the role "Storage Blob Data Contributor" on container "archive" (or on its storage account); or the storage account's network rules (firewall) do not admit this address`},
		{authKey, responseError(500, "InternalError"),
			`open container archive: storage service answered 500 Internal Server Error (InternalError)`},
		{authSAS, &url.Error{Op: "Get", URL: "https://acct.blob.core.windows.net/archive?sig=SECRET", Err: errors.New("connection refused")},
			`open container archive: Get https://acct.blob.core.windows.net/archive?REDACTED: connection refused`},
	} {
		s := &Sink{name: "archive", auth: tc.auth}
		if got := s.fail("open container", "archive", tc.err).Error(); got != tc.want {
			t.Errorf("fail(%v) =\n  %s\nwant\n  %s", tc.err, got, tc.want)
		}
	}
}
