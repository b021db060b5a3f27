// Package credential turns a configured auth method into an azcore
// TokenCredential through azidentity: client secret, client certificate (PEM
// or PFX), managed identity (system or user-assigned), workload identity
// (AKS federated token file), the Azure CLI, or azidentity's default chain.
//
// Token requests leave through package egress (transport.go): no redirect
// is followed, answers are bounded, each try has a time limit, and a
// request that carries the secret, certificate assertion or federated token
// goes only to https on the authority's host, whatever discovery says.
//
// Every credential refuses a token issued for another tenant than the one
// configured (a managed identity or an Azure CLI login can only sign in to
// their own tenant, and would otherwise archive the wrong tenant's logs
// under this one's name). Explain turns a failure into a sentence a person
// can act on, naming the tenant, the client id and where the credential comes
// from, never a secret.
package credential

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// ErrWrongTenant: the credential signed in, but to another tenant than the
// configured tenant_id.
var ErrWrongTenant = errors.New("token is for another tenant")

// Target says which tenant and authority a credential is for.
type Target struct {
	// TenantID is the tenant tokens must be issued for; "" accepts any (a
	// storage account reached with a managed identity).
	TenantID                 string
	AuthorityHost            string // e.g. https://login.microsoftonline.com/; "" = public cloud
	DisableInstanceDiscovery bool
	// Transport replaces the HTTP client (tests point it at the simulated
	// Graph); nil = egress.Client(). Either way no redirect is followed.
	Transport policy.Transporter
	// Retry replaces azcore's retry options for token requests (tests
	// shorten them); a zero TryTimeout means DefaultTryTimeout.
	Retry *policy.RetryOptions
}

// New builds the credential for auth. Errors name the config key to fix and
// never contain a secret.
func New(auth config.Auth, t Target) (azcore.TokenCredential, error) {
	refusals := &refusalLog{}
	cred, err := build(auth, t, refusals)
	if err != nil {
		return nil, err
	}
	cred = refusalReported{TokenCredential: cred, refusals: refusals}
	if t.TenantID == "" {
		return cred, nil
	}
	return tenantChecked{TokenCredential: cred, tenantID: t.TenantID, auth: auth}, nil
}

func build(auth config.Auth, t Target, refusals *refusalLog) (azcore.TokenCredential, error) {
	co := clientOptions(t, refusals)
	switch auth.Method {
	case config.MethodClientSecret:
		secret, err := auth.Secret()
		if err != nil {
			return nil, err
		}
		return azidentity.NewClientSecretCredential(t.TenantID, auth.ClientID, secret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: t.DisableInstanceDiscovery})
	case config.MethodClientCertificate:
		certs, key, err := loadCertificate(auth)
		if err != nil {
			return nil, err
		}
		return azidentity.NewClientCertificateCredential(t.TenantID, auth.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: t.DisableInstanceDiscovery, SendCertificateChain: true})
	case config.MethodManagedIdentity:
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if os.Getenv("IDENTITY_SERVER_THUMBPRINT") != "" && t.Transport == nil {
			// Service Fabric: azidentity pins the endpoint's certificate
			// on an *http.Client it clones, which egress.Client is (it
			// follows no redirect either).
			o.ClientOptions.Transport = egress.Client()
		}
		if auth.ClientID != "" {
			o.ID = azidentity.ClientID(auth.ClientID)
		}
		return azidentity.NewManagedIdentityCredential(o)
	case config.MethodWorkloadIdentity:
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: co, ClientID: auth.ClientID, TenantID: t.TenantID, TokenFilePath: auth.TokenFile,
			DisableInstanceDiscovery: t.DisableInstanceDiscovery,
		})
	case config.MethodAzureCLI:
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: t.TenantID})
	case config.MethodDefault, "":
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: co, TenantID: t.TenantID, DisableInstanceDiscovery: t.DisableInstanceDiscovery,
		})
	}
	return nil, fmt.Errorf("auth.method: unknown method %q", auth.Method)
}

// tenantChecked refuses tokens whose tid claim names another tenant.
type tenantChecked struct {
	azcore.TokenCredential
	tenantID string
	auth     config.Auth
}

func (c tenantChecked) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.TokenCredential.GetToken(ctx, o)
	if err != nil {
		return tok, err
	}
	if tid, ok := tokenTenant(tok.Token); ok && !strings.EqualFold(tid, c.tenantID) {
		return azcore.AccessToken{}, fmt.Errorf("%w: %s signed in to tenant %s, not to tenant_id %s: %s",
			ErrWrongTenant, Describe(c.auth), tid, c.tenantID, wrongTenantRemedy(c.auth.Method))
	}
	return tok, nil
}

func wrongTenantRemedy(method string) string {
	switch method {
	case config.MethodManagedIdentity:
		return "a managed identity can only read its own tenant; for another tenant use an app registration (client-secret, client-certificate or workload-identity)"
	case config.MethodAzureCLI:
		return "run az login --tenant with the configured tenant_id"
	}
	return "check tenant_id and which identity the method picks up"
}

// tokenTenant reads the tid claim of a JWT access token without verifying it
// (the check is against misconfiguration, not forgery). ok is false for
// tokens that are not JWTs or carry no tid.
func tokenTenant(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", false
	}
	var claims struct {
		TenantID string `json:"tid"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.TenantID == "" {
		return "", false
	}
	return claims.TenantID, true
}
