package credential

import (
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/config"
)

// blobSuffixes map a national cloud's blob endpoint suffix to the authority
// that issues tokens for it.
var blobSuffixes = []struct{ suffix, authority string }{
	{".blob.core.windows.net", "https://login.microsoftonline.com/"},
	{".blob.core.usgovcloudapi.net", "https://login.microsoftonline.us/"},
	{".blob.core.chinacloudapi.cn", "https://login.chinacloudapi.cn/"},
}

// StorageAuthorityHost is the authority for a storage account URL: the
// national cloud its blob suffix names, "" (public) for any other host.
func StorageAuthorityHost(accountURL string) string {
	u, err := url.Parse(accountURL)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	for _, s := range blobSuffixes {
		if strings.HasSuffix(host, s.suffix) {
			return s.authority
		}
	}
	return ""
}

// ForStorage builds the credential for storage.azblob.account_url (role
// Storage Blob Data Contributor on the container), signing in at the
// authority of the account's cloud.
func ForStorage(a config.Azblob, transport policy.Transporter) (azcore.TokenCredential, error) {
	auth := config.Auth{Method: config.MethodDefault}
	if a.Auth != nil {
		auth = *a.Auth
	}
	return New(auth, Target{TenantID: a.TenantID, AuthorityHost: StorageAuthorityHost(a.AccountURL), Transport: transport})
}
