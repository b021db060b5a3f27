package graphsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ManagedIdentityKind makes a tenant's app a managed identity of the host
// the archiver runs on: TenantConfig.ClientID is then the identity's client
// id, and the server's managed-identity endpoint issues its Graph tokens.
type ManagedIdentityKind int

const (
	// NoManagedIdentity: the app is an app registration.
	NoManagedIdentity ManagedIdentityKind = iota
	// SystemAssigned: the host's own identity, requested without a client
	// id. At most one tenant of a server may have it.
	SystemAssigned
	// UserAssigned: requested by its client id.
	UserAssigned
)

// managedIdentityPath is where the App Service-style endpoint listens.
const managedIdentityPath = "/msi/token"

// appServiceAPIVersion is the managed-identity protocol version azidentity
// speaks to an App Service endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER).
const appServiceAPIVersion = "2019-08-01"

// ManagedIdentityEndpoint returns what App Service puts in IDENTITY_ENDPOINT
// and IDENTITY_HEADER for the server's managed-identity endpoint. With both
// variables set (and IDENTITY_SERVER_THUMBPRINT unset), azidentity's
// ManagedIdentityCredential asks this endpoint for tokens; its Transport must
// trust the server's CA (HTTPClient).
func (s *Server) ManagedIdentityEndpoint() (endpoint, header string) {
	return s.base + managedIdentityPath, s.identityHeader()
}

// identityHeader is the secret the endpoint requires in X-IDENTITY-HEADER,
// derived from the server's random key.
func (s *Server) identityHeader() string {
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write([]byte("managed identity"))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// checkManagedIdentities rejects a configuration a host cannot have.
func checkManagedIdentities(tenants []TenantConfig) error {
	system := 0
	for _, t := range tenants {
		if t.ManagedIdentity == SystemAssigned {
			system++
		}
	}
	if system > 1 {
		return errors.New("graphsim: at most one tenant can have the system-assigned managed identity")
	}
	return nil
}

// serveManagedIdentity answers GET /msi/token?api-version=2019-08-01&
// resource=…[&client_id=…] as App Service does, with a Graph token for the
// tenant whose app is that managed identity.
func (s *Server) serveManagedIdentity(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		miError(w, http.StatusMethodNotAllowed, "The managed identity endpoint only accepts GET requests.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-IDENTITY-HEADER")), []byte(s.identityHeader())) != 1 {
		miError(w, http.StatusUnauthorized, "The X-IDENTITY-HEADER header is missing or wrong.")
		return
	}
	q := r.URL.Query()
	if v := q.Get("api-version"); v != appServiceAPIVersion {
		miError(w, http.StatusBadRequest, fmt.Sprintf("Unsupported api-version '%s'; use %s.", v, appServiceAPIVersion))
		return
	}
	if q.Has("object_id") || q.Has("mi_res_id") || q.Has("principal_id") {
		miError(w, http.StatusBadRequest, "graphsim selects user-assigned identities by client_id only.")
		return
	}
	t := s.managedIdentity(q.Get("client_id"))
	if t == nil {
		msg := "No managed identity is assigned to this resource."
		if q.Get("client_id") != "" {
			msg = "No User Assigned or Delegated Managed Identity found for specified ClientId/ResourceId/PrincipalId."
		}
		miError(w, http.StatusBadRequest, msg)
		return
	}
	t.countToken()
	resource := strings.TrimSuffix(q.Get("resource"), "/")
	if !strings.EqualFold(resource, s.base) && resource != graphAppID {
		miError(w, http.StatusBadRequest, fmt.Sprintf(
			"AADSTS500011: The resource principal named %s was not found in the tenant named %s.", q.Get("resource"), t.id))
		return
	}
	token, err := s.issueToken(t)
	if err != nil {
		miError(w, http.StatusInternalServerError, "There was an error issuing a token.")
		return
	}
	// expires_on is absolute; it is stated on real time, like expires_in
	// elsewhere, because clients cache tokens on their own clock.
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": token,
		"expires_on":   strconv.FormatInt(time.Now().Add(t.lifetime).Unix(), 10),
		"resource":     q.Get("resource"),
		"token_type":   "Bearer",
		"client_id":    t.clientID,
	})
}

// managedIdentity finds the tenant whose app is the requested identity: the
// user-assigned one with clientID, or the system-assigned one when clientID
// is empty.
func (s *Server) managedIdentity(clientID string) *Tenant {
	for _, t := range s.tenants {
		switch {
		case clientID == "" && t.creds.managedIdentity == SystemAssigned:
			return t
		case clientID != "" && t.creds.managedIdentity == UserAssigned && strings.EqualFold(clientID, t.clientID):
			return t
		}
	}
	return nil
}

// miError is App Service's error shape.
func miError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "message": message})
}
