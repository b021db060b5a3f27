package graph

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// The token endpoint's failures: told apart from Graph's own answers, and
// translated into what the operator has to fix.

// tokenError marks a failure to acquire a token, so it is told apart from
// failures of the Graph request itself.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "acquire token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// credential tags the errors of the wrapped credential as *tokenError.
type credential struct{ azcore.TokenCredential }

func (c credential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tk, err := c.TokenCredential.GetToken(ctx, o)
	if err != nil {
		return tk, &tokenError{err: err}
	}
	return tk, nil
}

var aadstsCode = regexp.MustCompile(`AADSTS(\d+)`)

// classifyTokenError: the token endpoint refusing the credential (any 4xx
// but 408 and 429) or a credential that cannot work here is permanent; an
// outage of the token endpoint is transient, and one that cannot be
// reached is the network's failure, not the auth settings' (package
// credential puts the transport's *egress.NetworkError back into the chain
// that azidentity reduced to text).
func (s *Source) classifyTokenError(err error) *failure {
	if f := s.refusedToken(err); f != nil {
		return f
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) && af.RawResponse != nil && retryableStatus(af.RawResponse.StatusCode) {
		return &failure{err: fmt.Errorf("token endpoint answered %d", af.RawResponse.StatusCode), retry: true}
	}
	if !errors.As(err, &af) || af.RawResponse == nil {
		if ne := egress.Network(err, "the token endpoint"); ne != nil {
			// Never a timeout: a narrower query would not help.
			return &failure{err: fmt.Errorf("tenant %s, client_id %s: no token: %w", s.tenantID, s.clientID, ne), retry: !ne.Permanent()}
		}
	}
	text := err.Error()
	code := ""
	if m := aadstsCode.FindStringSubmatch(text); m != nil {
		code = m[1]
	}
	var msg string
	if code != "" {
		msg = fmt.Sprintf("tenant %s, client_id %s: token request refused (AADSTS%s): %s",
			s.tenantID, s.clientID, code, aadstsRemedy(code, s.tenantID, s.clientID))
	} else {
		msg = fmt.Sprintf("tenant %s, client_id %s: no token: %s; check the tenant's auth settings",
			s.tenantID, s.clientID, truncate(firstLine(text), 300))
	}
	return &failure{err: &permanentError{sentinel: audit.ErrUnauthorized, msg: msg, cause: err}}
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// aadstsRemedy says what to fix for the token errors an operator meets.
func aadstsRemedy(code, tenant, client string) string {
	switch code {
	case "7000215":
		return "the client secret is wrong: use the secret's Value (not its Secret ID) and check client_secret_env / client_secret_file"
	case "7000222":
		return "the client secret has expired: create a new secret for app " + client
	case "700016":
		return fmt.Sprintf("app %s was not found in tenant %s: check client_id and tenant_id, and that an admin consented to the app in that tenant", client, tenant)
	case "90002", "900023", "90072":
		return fmt.Sprintf("tenant %s was not found: check tenant_id and the tenant's cloud / authority_host", tenant)
	case "500011":
		return "the Graph resource was not found in the tenant: check graph_endpoint and cloud"
	case "700027", "700024", "700023":
		return "the client assertion was refused: check that the certificate (or federated credential) is registered on app " + client + " and not expired"
	case "7000112":
		return "app " + client + " is disabled"
	case "50013":
		return "the client assertion's signature or lifetime was refused: check the certificate's private key and the host clock"
	case "700021":
		return "the certificate (client assertion) does not match any certificate registered on app " + client
	case "70021", "700211", "700212", "700213":
		return "no federated identity credential on app " + client + " matches the token's issuer, subject and audience (api://AzureADTokenExchange): check the workload identity's service account and the app's federated credentials"
	case "53003":
		return "a Conditional Access policy blocked the sign-in: exclude the workload identity of app " + client + " from it"
	}
	return "check tenant_id, client_id and the credential"
}
