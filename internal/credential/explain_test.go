package credential_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/credential"
)

// TestFailuresAreExplained: each way a credential fails against the
// simulated Entra gives a message naming the tenant, the credential and what
// to do, and no message contains a secret.
func TestFailuresAreExplained(t *testing.T) {
	f := newFixture(t)
	f.useManagedIdentityEndpoint(t)
	strayCert, strayKey := newCertificate(t, "not-uploaded")
	const wrongSecret = "wrong-Secret~4567"
	const unknownTenant = "44444444-2222-4333-8444-555555555555"
	const unknownClient = "dddddddd-bbbb-4ccc-8ddd-eeeeeeeeeeee"

	cases := []struct {
		name, tenant, auth string
		env                []string
		atNew              bool     // New fails (no token request is made)
		sentinel           error    // errors.Is target, when there is one
		want               []string // all in the explanation
	}{
		{"wrong secret", appTenant, "{client_id: " + appClient + ", client_secret_env: CRED_SECRET}", []string{"CRED_SECRET=" + wrongSecret}, false, nil,
			[]string{"tenant " + appTenant, "client_id " + appClient, "AADSTS7000215", "client secret is wrong", "CRED_SECRET"}},
		{"unknown client", appTenant, "{client_id: " + unknownClient + ", client_secret_env: CRED_SECRET}", []string{"CRED_SECRET=" + appSecret}, false, nil,
			[]string{"AADSTS700016", "app " + unknownClient + " was not found in tenant " + appTenant}},
		{"unknown tenant", unknownTenant, "{client_id: " + appClient + ", client_secret_env: CRED_SECRET}", []string{"CRED_SECRET=" + appSecret}, false, nil,
			[]string{"AADSTS90002", "tenant " + unknownTenant + " was not found", "cloud"}},
		{"certificate not uploaded", appTenant, "{method: client-certificate, client_id: " + appClient + ", certificate_file: " + strconv.Quote(pemFile(t, strayCert, strayKey)) + "}", nil, false, nil,
			[]string{"AADSTS700027", "upload the certificate", "client certificate "}},
		{"untrusted service account", appTenant, "{method: workload-identity, client_id: " + appClient + ", token_file: " + strconv.Quote(f.federatedToken(t, "system:serviceaccount:default:default")) + "}", nil, false, nil,
			[]string{"AADSTS70021", "no federated credential of app " + appClient, "federated token file"}},
		{"managed identity of another tenant", appTenant, "{method: managed-identity, client_id: " + uamiClient + "}", nil, false, credential.ErrWrongTenant,
			[]string{"user-assigned managed identity " + uamiClient, "signed in to tenant " + uamiTenant, "not to tenant_id " + appTenant, "can only read its own tenant"}},
		{"managed identity not assigned", uamiTenant, "{method: managed-identity, client_id: " + unknownClient + "}", nil, false, nil,
			[]string{"user-assigned managed identity " + unknownClient, "no token: the identity endpoint answered 400: No User Assigned or Delegated Managed Identity found"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, e := range c.env {
				name, value, _ := strings.Cut(e, "=")
				t.Setenv(name, value)
			}
			auth, _ := tenantAuth(t, c.tenant, c.auth)
			cred, err := credential.New(auth, f.target(c.tenant))
			if c.atNew != (err != nil) {
				t.Fatalf("New: %v, want failure %v", err, c.atNew)
			}
			if err == nil {
				_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{f.sim.GraphURL() + "/.default"}})
				if err == nil {
					t.Fatal("got a token")
				}
			}
			if c.sentinel != nil && !errors.Is(err, c.sentinel) {
				t.Errorf("error %v does not match %v", err, c.sentinel)
			}
			msg := credential.Explain(err, auth, c.tenant)
			t.Log(msg)
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("explanation lacks %q:\n%s", w, msg)
				}
			}
			for _, secret := range []string{appSecret, wrongSecret, pfxPassword} {
				if strings.Contains(msg, secret) || strings.Contains(err.Error(), secret) {
					t.Errorf("a secret is printed:\n%s\n%v", msg, err)
				}
			}
			if strings.Count(msg, "\n") > 0 {
				t.Errorf("explanation spans lines:\n%s", msg)
			}
		})
	}
}

func TestDescribeNamesTheSourceNotTheSecret(t *testing.T) {
	cases := []struct {
		auth config.Auth
		want string
	}{
		{config.Auth{Method: config.MethodClientSecret, ClientSecretEnv: "S"}, "client secret from environment variable S"},
		{config.Auth{Method: config.MethodClientSecret, ClientSecretFile: "/run/s"}, "client secret from file /run/s"},
		{config.Auth{Method: config.MethodClientSecret, ClientSecret: "hunter2"}, "client secret written in the config file"},
		{config.Auth{Method: config.MethodClientCertificate, CertificateFile: "/c.pfx", CertificatePassword: "hunter2"}, "client certificate /c.pfx"},
		{config.Auth{Method: config.MethodManagedIdentity}, "system-assigned managed identity"},
		{config.Auth{Method: config.MethodManagedIdentity, ClientID: "id"}, "user-assigned managed identity id"},
		{config.Auth{Method: config.MethodWorkloadIdentity}, "workload identity with the federated token file in AZURE_FEDERATED_TOKEN_FILE"},
		{config.Auth{Method: config.MethodWorkloadIdentity, TokenFile: "/t"}, "workload identity with federated token file /t"},
		{config.Auth{Method: config.MethodAzureCLI}, "Azure CLI login"},
		{config.Auth{Method: config.MethodDefault}, "azidentity's default credential chain (environment, workload identity, managed identity, Azure CLI)"},
	}
	for _, c := range cases {
		if got := credential.Describe(c.auth); got != c.want {
			t.Errorf("%s: %q, want %q", c.auth.Method, got, c.want)
		}
	}
}
