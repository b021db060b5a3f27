package credential

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/entra-archiver/entra-archiver/internal/config"
)

// Describe names where a credential comes from, without any secret:
// "client secret from environment variable CONTOSO_SECRET",
// "user-assigned managed identity 00000000-…".
func Describe(a config.Auth) string {
	switch a.Method {
	case config.MethodClientSecret:
		switch {
		case a.ClientSecretEnv != "":
			return "client secret from environment variable " + a.ClientSecretEnv
		case a.ClientSecretFile != "":
			return "client secret from file " + a.ClientSecretFile
		}
		return "client secret written in the config file"
	case config.MethodClientCertificate:
		return "client certificate " + a.CertificateFile
	case config.MethodManagedIdentity:
		if a.ClientID != "" {
			return "user-assigned managed identity " + a.ClientID
		}
		return "system-assigned managed identity"
	case config.MethodWorkloadIdentity:
		if a.TokenFile != "" {
			return "workload identity with federated token file " + a.TokenFile
		}
		return "workload identity with the federated token file in AZURE_FEDERATED_TOKEN_FILE"
	case config.MethodAzureCLI:
		return "Azure CLI login"
	}
	return "azidentity's default credential chain (environment, workload identity, managed identity, Azure CLI)"
}

var (
	aadstsRE   = regexp.MustCompile(`AADSTS(\d+)`)
	aadstsText = regexp.MustCompile(`AADSTS\d+: [^\r\n"\\]*`)
)

// Explain turns a failure to get a token for tenantID into what went wrong
// and what to check. It quotes at most one line of Entra's answer (error
// descriptions never hold the secret) and never the request.
func Explain(err error, a config.Auth, tenantID string) string {
	if errors.Is(err, ErrWrongTenant) || errors.Is(err, config.ErrNoSecret) {
		return err.Error()
	}
	who := fmt.Sprintf("tenant %s, %s", tenantID, Describe(a))
	if a.ClientID != "" && a.Method != config.MethodManagedIdentity {
		who = fmt.Sprintf("tenant %s, client_id %s, %s", tenantID, a.ClientID, Describe(a))
	}
	var refused *RefusedError
	if errors.As(err, &refused) {
		return fmt.Sprintf("%s: %v", who, refused)
	}
	text := err.Error()
	m := aadstsRE.FindStringSubmatch(text)
	if m == nil {
		return fmt.Sprintf("%s: %s", who, clip(unexplained(err), 300))
	}
	said := m[0]
	if d := aadstsText.FindString(text); d != "" {
		said = clip(strings.TrimSpace(d), 300)
	}
	return fmt.Sprintf("%s: %s; %s", who, remedy(m[1], a, tenantID), said)
}

// remedy says what to fix for the token errors an operator meets.
func remedy(code string, a config.Auth, tenantID string) string {
	app := "app " + a.ClientID
	if a.ClientID == "" {
		app = "the app"
	}
	switch code {
	case "7000215":
		return "the client secret is wrong: use the secret's Value (not its Secret ID) and check " + secretSource(a)
	case "7000222":
		return "the client secret has expired: create a new secret for " + app + " and update " + secretSource(a)
	case "700016":
		return fmt.Sprintf("%s was not found in tenant %s: check client_id and tenant_id, and that an admin of that tenant consented to the app", app, tenantID)
	case "90002", "900023", "90072":
		return fmt.Sprintf("tenant %s was not found: check tenant_id and the tenant's cloud (or authority_host)", tenantID)
	case "500011":
		return "the Graph resource was not found in the tenant: check cloud and graph_endpoint, and that the app was consented to in the tenant"
	case "700027":
		return "the certificate is not accepted: upload the certificate of certificate_file to " + app + " (Certificates & secrets) and check it matches the private key"
	case "700024":
		if a.Method == config.MethodWorkloadIdentity {
			return "the federated token has expired: check that the token file is refreshed (projected service account token)"
		}
		return "the client assertion is outside its validity: check this machine's clock"
	case "70021", "700211", "700212", "700213":
		return "no federated credential of " + app + " matches the token: add one with the issuer, subject and audience api://AzureADTokenExchange of the service account token"
	case "50013", "700021":
		return "the client assertion does not match: check client_id and the tenant's cloud (or authority_host)"
	case "7000112":
		return app + " is disabled in the tenant"
	case "53003":
		return "a Conditional Access policy blocks the sign-in of " + app
	case "7000218":
		return "no credential was sent: check the auth method"
	}
	return "check tenant_id, client_id and the credential"
}

// unexplained describes an error without an AADSTS code: the answer of an
// identity endpoint (managed identity) when there was one, else the
// error's first line.
func unexplained(err error) string {
	var af *azidentity.AuthenticationFailedError
	if !errors.As(err, &af) || af.RawResponse == nil {
		return firstLine(err.Error())
	}
	msg := fmt.Sprintf("no token: the identity endpoint answered %d", af.RawResponse.StatusCode)
	body, rerr := runtime.Payload(af.RawResponse)
	if rerr != nil {
		return msg
	}
	var answer struct {
		Message     string `json:"message"`
		Description string `json:"error_description"`
		Error       any    `json:"error"`
	}
	if json.Unmarshal(body, &answer) != nil {
		return msg
	}
	for _, said := range []string{answer.Message, answer.Description, fmt.Sprint(answer.Error)} {
		if said != "" && said != "<nil>" {
			return msg + ": " + firstLine(said)
		}
	}
	return msg
}

func secretSource(a config.Auth) string {
	switch {
	case a.ClientSecretEnv != "":
		return "environment variable " + a.ClientSecretEnv + " (client_secret_env)"
	case a.ClientSecretFile != "":
		return "file " + a.ClientSecretFile + " (client_secret_file)"
	}
	return "client_secret"
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
