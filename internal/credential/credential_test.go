package credential_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/entra-archiver/entra-archiver/internal/credential"
)

const pfxPassword = "pfx-Pass~word-42"

// TestMethodsAgainstGraphsim configures each auth method the way a user
// would (YAML through config.Load, secrets in variables and files), builds
// its credential and gets a token from the simulated Entra that Graph
// accepts: every flow runs through azidentity against graphsim's token or
// managed-identity endpoint, nothing is stubbed.
func TestMethodsAgainstGraphsim(t *testing.T) {
	f := newFixture(t)
	f.useManagedIdentityEndpoint(t)
	pemPath := pemFile(t, f.cert, f.key)
	pfxData := func(enc *pkcs12.Encoder) string {
		data, err := enc.Encode(f.key, f.cert, nil, pfxPassword)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, "cert.pfx", string(data))
	}
	legacyPFX, modernPFX := pfxData(pkcs12.LegacyDES), pfxData(pkcs12.Modern2023)
	passwordFile := writeFile(t, "pfx-password", pfxPassword+"\n")
	secretFile := writeFile(t, "secret", appSecret+"\n")

	cases := []struct {
		name, tenant, auth string
		env                []string
		warn               bool // an inline-secret warning is expected
	}{
		{"client secret from env", appTenant, "{client_id: " + appClient + ", client_secret_env: CRED_SECRET}", []string{"CRED_SECRET=" + appSecret}, false},
		{"client secret from file", appTenant, "{client_id: " + appClient + ", client_secret_file: " + strconv.Quote(secretFile) + "}", nil, false},
		{"inline client secret", appTenant, "{client_id: " + appClient + ", client_secret: \"" + appSecret + "\"}", nil, true},
		{"PEM certificate", appTenant, "{method: client-certificate, client_id: " + appClient + ", certificate_file: " + strconv.Quote(pemPath) + "}", nil, false},
		{"PFX, password from env", appTenant, "{method: client-certificate, client_id: " + appClient + ", certificate_file: " + strconv.Quote(legacyPFX) + ", certificate_password_env: PFX_PASSWORD}", []string{"PFX_PASSWORD=" + pfxPassword}, false},
		{"PFX, password from file", appTenant, "{method: client-certificate, client_id: " + appClient + ", certificate_file: " + strconv.Quote(legacyPFX) + ", certificate_password_file: " + strconv.Quote(passwordFile) + "}", nil, false},
		{"PFX with AES (OpenSSL 3 default)", appTenant, "{method: client-certificate, client_id: " + appClient + ", certificate_file: " + strconv.Quote(modernPFX) + ", certificate_password_env: PFX_PASSWORD}", []string{"PFX_PASSWORD=" + pfxPassword}, false},
		{"workload identity, token_file", appTenant, "{method: workload-identity, client_id: " + appClient + ", token_file: " + strconv.Quote(f.federatedToken(t, serviceAccount)) + "}", nil, false},
		{"user-assigned managed identity", uamiTenant, "{method: managed-identity, client_id: " + uamiClient + "}", nil, false},
		{"system-assigned managed identity", samiTenant, "{method: managed-identity}", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			auth, warnings := tenantAuth(t, c.tenant, c.auth, c.env...)
			if got := slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "inline secret") }); got != c.warn {
				t.Errorf("inline-secret warning %v, want %v: %q", got, c.warn, warnings)
			}
			for _, e := range c.env {
				name, value, _ := strings.Cut(e, "=")
				t.Setenv(name, value)
			}
			cred, err := credential.New(auth, f.target(c.tenant))
			if err != nil {
				t.Fatal(err)
			}
			f.graphAccepts(t, cred)
		})
	}
}

// TestWorkloadIdentityFromEnvironment is the AKS webhook's setup: client id
// and token file only in AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE.
func TestWorkloadIdentityFromEnvironment(t *testing.T) {
	f := newFixture(t)
	t.Setenv("AZURE_CLIENT_ID", appClient)
	t.Setenv("AZURE_TENANT_ID", appTenant)
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", f.federatedToken(t, serviceAccount))
	auth, _ := tenantAuth(t, appTenant, "{method: workload-identity}")
	cred, err := credential.New(auth, f.target(appTenant))
	if err != nil {
		t.Fatal(err)
	}
	f.graphAccepts(t, cred)
}
