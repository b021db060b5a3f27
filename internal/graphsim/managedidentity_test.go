package graphsim

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

const (
	systemTenant = "22222222-2222-4333-8444-555555555555"
	systemClient = "bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee"
)

// miSim serves testTenant with a user-assigned identity (testClient) and
// systemTenant with the host's system-assigned one, and points azidentity at
// the server's managed-identity endpoint the way App Service does.
func miSim(t *testing.T) *Server {
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].ClientSecret = ""
		o.Tenants[0].ManagedIdentity = UserAssigned
		system := baseTenant()
		system.ID, system.ClientID, system.ClientSecret, system.ManagedIdentity = systemTenant, systemClient, "", SystemAssigned
		o.Tenants = append(o.Tenants, system)
	})
	endpoint, header := s.ManagedIdentityEndpoint()
	t.Setenv("IDENTITY_ENDPOINT", endpoint)
	t.Setenv("IDENTITY_HEADER", header)
	t.Setenv("IDENTITY_SERVER_THUMBPRINT", "")
	t.Setenv("MSI_ENDPOINT", "")
	return s
}

func TestAzidentityManagedIdentityFlow(t *testing.T) {
	s := miSim(t)
	cases := []struct {
		name   string
		id     azidentity.ManagedIDKind
		tenant string
		want   string // "" = works
	}{
		{"user-assigned", azidentity.ClientID(testClient), testTenant, ""},
		{"system-assigned", nil, systemTenant, ""},
		{"unknown client id", azidentity.ClientID("99999999-bbbb-4ccc-8ddd-eeeeeeeeeeee"), "", "No User Assigned"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: azOptions(s), ID: c.id})
			if err != nil {
				t.Fatal(err)
			}
			if c.want != "" {
				_, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{s.GraphURL() + "/.default"}})
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err = %v, want %q", err, c.want)
				}
				return
			}
			before := s.Tenant(c.tenant).Stats().TokenRequests
			graphWorks(t, s, cred)
			if n := s.Tenant(c.tenant).Stats().TokenRequests; n != before+1 {
				t.Errorf("token requests of %s: %d, want %d", c.tenant, n, before+1)
			}
		})
	}
}

func TestManagedIdentityEndpointChecks(t *testing.T) {
	s := miSim(t)
	endpoint, header := s.ManagedIdentityEndpoint()
	ok := "?api-version=2019-08-01&resource=" + s.GraphURL()
	cases := []struct {
		name, query, header string
		status              int
	}{
		{"system-assigned", ok, header, 200},
		{"graph app id", "?api-version=2019-08-01&resource=" + graphAppID, header, 200},
		{"user-assigned", ok + "&client_id=" + testClient, header, 200},
		{"no header", ok, "", 401},
		{"wrong header", ok, "0123", 401},
		{"old api version", "?api-version=2017-09-01&resource=" + s.GraphURL(), header, 400},
		{"other resource", "?api-version=2019-08-01&resource=https://management.azure.com", header, 400},
		{"by object id", ok + "&object_id=" + testClient, header, 400},
		{"system identity asked by client id", ok + "&client_id=" + systemClient, header, 400},
	}
	for _, c := range cases {
		req, err := http.NewRequest(http.MethodGet, endpoint+c.query, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.header != "" {
			req.Header.Set("X-IDENTITY-HEADER", c.header)
		}
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.status)
		}
	}
}

func TestOneSystemAssignedIdentity(t *testing.T) {
	a, b := baseTenant(), baseTenant()
	b.ID = systemTenant
	a.ManagedIdentity, b.ManagedIdentity = SystemAssigned, SystemAssigned
	s, err := Start(Options{Tenants: []TenantConfig{a, b}, Dir: t.TempDir()})
	if err == nil {
		s.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "at most one tenant can have the system-assigned managed identity") {
		t.Fatalf("two system-assigned identities: %v", err)
	}
}
