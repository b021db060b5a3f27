// Package credential turns a configured auth method into an azcore
// TokenCredential through azidentity: client secret, client certificate (PEM
// or PFX), managed identity (system or user-assigned), workload identity
// (AKS federated token file), the Azure CLI, or azidentity's default chain.
package credential

import (
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/entra-archiver/entra-archiver/internal/config"
)

// Target says which tenant and authority a credential is for.
type Target struct {
	TenantID                 string
	AuthorityHost            string // e.g. https://login.microsoftonline.com/
	DisableInstanceDiscovery bool
	// Transport replaces the HTTP client (tests point it at the simulated
	// Graph); nil = azcore's default.
	Transport policy.Transporter
}

// New builds the credential for auth. Errors name the config key to fix and
// never contain a secret.
func New(auth config.Auth, t Target) (azcore.TokenCredential, error) {
	co := azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: t.AuthorityHost}}
	if t.Transport != nil {
		co.Transport = t.Transport
	}
	switch auth.Method {
	case "client-secret":
		secret, err := auth.Secret()
		if err != nil {
			return nil, err
		}
		return azidentity.NewClientSecretCredential(t.TenantID, auth.ClientID, secret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: t.DisableInstanceDiscovery})
	case "client-certificate":
		data, err := os.ReadFile(auth.CertificateFile)
		if err != nil {
			return nil, fmt.Errorf("auth.certificate_file: %w", err)
		}
		password, err := auth.CertificatePasswordValue()
		if err != nil {
			return nil, err
		}
		var pw []byte
		if password != "" {
			pw = []byte(password)
		}
		certs, key, err := azidentity.ParseCertificates(data, pw)
		if err != nil {
			return nil, fmt.Errorf("auth.certificate_file %s: cannot read a certificate and private key (PEM or PFX; check the password): %v", auth.CertificateFile, err)
		}
		return azidentity.NewClientCertificateCredential(t.TenantID, auth.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: t.DisableInstanceDiscovery, SendCertificateChain: true})
	case "managed-identity":
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if auth.ClientID != "" {
			o.ID = azidentity.ClientID(auth.ClientID)
		}
		return azidentity.NewManagedIdentityCredential(o)
	case "workload-identity":
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: co, ClientID: auth.ClientID, TenantID: t.TenantID, TokenFilePath: auth.TokenFile,
			DisableInstanceDiscovery: t.DisableInstanceDiscovery,
		})
	case "azure-cli":
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: t.TenantID})
	case "default", "":
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: co, TenantID: t.TenantID, DisableInstanceDiscovery: t.DisableInstanceDiscovery,
		})
	}
	return nil, fmt.Errorf("auth.method: unknown method %q", auth.Method)
}
