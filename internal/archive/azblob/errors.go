package azblob

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// serviceError is what the sink keeps of a storage service error: the
// status and the service's error code. The SDK's own error carries the
// response body, whose authentication diagnostics quote signatures.
type serviceError struct {
	status int
	code   string
}

func (e *serviceError) Error() string {
	msg := fmt.Sprintf("storage service answered %d %s", e.status, http.StatusText(e.status))
	if e.code != "" {
		msg += " (" + e.code + ")"
	}
	return msg
}

// clean strips err to what may be logged: a service error to status and
// code, a request that got no answer to egress's account of it (the host,
// the cause and what to check, without the URL, which may hold a SAS), any
// other transport error to its operation, its URL without the query and
// its cause.
func clean(err error) error {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return &serviceError{status: re.StatusCode, code: re.ErrorCode}
	}
	var ue *url.Error
	if ne := egress.Network(err, ""); ne != nil {
		stripped := *ne
		if errors.As(ne.Err, &ue) {
			stripped.Err = ue.Err
		}
		return &stripped
	}
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redact(ue.URL), ue.Err)
	}
	return err
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	u.User = nil
	return u.String()
}

// fail wraps a failed operation's cleaned error and, for a 403, says what
// to fix for the way the sink authenticates.
func (s *Sink) fail(op, name string, err error) error {
	err = clean(err)
	var se *serviceError
	if errors.As(err, &se) && se.status == http.StatusForbidden {
		return fmt.Errorf("%s %s: %w: %s", op, name, err, s.accessHint(se.code))
	}
	return fmt.Errorf("%s %s: %w", op, name, err)
}

func (s *Sink) accessHint(code string) string {
	var hint string
	switch s.auth {
	case authSAS:
		hint = fmt.Sprintf("the SAS must be valid now and grant the permissions r, c and l on container %q, and w too if it keeps the state and leases (an account SAS also the resource types c and o)", s.name)
	case authKey:
		hint = "check the account name and key in the connection string, and that this machine's clock is right"
	default:
		hint = fmt.Sprintf("grant this identity the role \"Storage Blob Data Contributor\" on container %q (or on its storage account)", s.name)
	}
	if code == string(bloberror.AuthorizationFailure) || code == string(bloberror.AuthorizationSourceIPMismatch) {
		hint += "; or the storage account's network rules (firewall) do not admit this address"
	}
	return hint
}

func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}
