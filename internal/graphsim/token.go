package graphsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// graphAppID is Microsoft Graph's application id; "{graphAppID}/.default" is
// accepted as a scope like "{GraphURL}/.default", as Entra does.
const graphAppID = "00000003-0000-0000-c000-000000000000"

// serveDiscovery answers MSAL's tenant discovery
// (GET /{tenant}/v2.0/.well-known/openid-configuration). The issuer's host is
// the server's, which MSAL requires when instance discovery is disabled.
func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request, tenantID string) {
	t := s.Tenant(tenantID)
	if t == nil {
		s.aadError(w, http.StatusBadRequest, "invalid_tenant", 90002, tenantNotFound(tenantID))
		return
	}
	t.countToken()
	root := s.base + "/" + t.id
	doc := map[string]any{
		"issuer":                                root + "/v2.0",
		"authorization_endpoint":                root + "/oauth2/v2.0/authorize",
		"token_endpoint":                        root + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         root + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  root + "/oauth2/v2.0/logout",
		"jwks_uri":                              root + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"request_uri_parameter_supported":       false,
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "graphsim.invalid",
		"msgraph_host":                          strings.TrimPrefix(s.base, "https://"),
	}
	writeJSON(w, http.StatusOK, doc)
}

// serveKeys publishes the token-signing key as a JWKS.
func (s *Server) serveKeys(w http.ResponseWriter, _ *http.Request) {
	pub, err := s.signer.PublicKey.Bytes()
	if err != nil {
		http.Error(w, "no signing key", http.StatusInternalServerError)
		return
	}
	enc := base64.RawURLEncoding
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": "graphsim",
		"x": enc.EncodeToString(pub[1:33]), "y": enc.EncodeToString(pub[33:]),
	}}})
}

// serveToken is the client-credentials token endpoint
// (POST /{tenant}/oauth2/v2.0/token). Checks run in Entra's order: tenant,
// grant, client, credential (a secret, or a client assertion: see
// assertion.go), scope; errors use Entra's codes and never echo the secret
// or the assertion.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, tenantID string) {
	t := s.Tenant(tenantID)
	if t == nil {
		s.aadError(w, http.StatusBadRequest, "invalid_request", 90002, tenantNotFound(tenantID))
		return
	}
	t.countToken()
	if r.Method != http.MethodPost {
		s.aadError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "AADSTS900561: The endpoint only accepts POST requests.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.aadError(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must be application/x-www-form-urlencoded.")
		return
	}
	form := r.PostForm
	if g := form.Get("grant_type"); g != "client_credentials" {
		s.aadError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("AADSTS70003: The app requested an unsupported grant type '%s'.", g))
		return
	}
	clientID := form.Get("client_id")
	if clientID == "" {
		s.aadError(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must contain the following parameter: 'client_id'.")
		return
	}
	if !strings.EqualFold(clientID, t.clientID) {
		s.aadError(w, http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"AADSTS700016: Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
			clientID, t.id))
		return
	}
	if failed := t.authenticateClient(form, s.base+r.URL.Path); failed != nil {
		s.aadError(w, failed.status, failed.code, failed.number, failed.description)
		return
	}
	if failed := s.checkScope(t, form.Get("scope")); failed != nil {
		s.aadError(w, failed.status, failed.code, failed.number, failed.description)
		return
	}
	token, err := s.issueToken(t)
	if err != nil {
		s.aadError(w, http.StatusInternalServerError, "server_error", 50000, "AADSTS50000: There was an error issuing a token.")
		return
	}
	secs := int(t.lifetime / time.Second)
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": token,
	})
}

// tokenFailure is an Entra error about to be sent.
type tokenFailure struct {
	status      int
	code        string
	number      int
	description string
}

// checkScope accepts exactly one resource scope, "{GraphURL}/.default" (or
// Graph's app id), next to the OpenID scopes MSAL always adds.
func (s *Server) checkScope(t *Tenant, scope string) *tokenFailure {
	var res []string
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "offline_access", "profile":
		default:
			res = append(res, sc)
		}
	}
	if len(res) != 1 || !strings.HasSuffix(res[0], "/.default") {
		return &tokenFailure{http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf(
			"AADSTS1002012: The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
			scope)}
	}
	resource := strings.TrimSuffix(res[0], "/.default")
	if !strings.EqualFold(resource, s.base) && resource != graphAppID {
		return &tokenFailure{http.StatusBadRequest, "invalid_resource", 500011, fmt.Sprintf(
			"AADSTS500011: The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
			resource, t.id)}
	}
	return nil
}

func tenantNotFound(id string) string {
	return fmt.Sprintf("AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", id)
}

// aadErrorBody is Entra's OAuth error shape.
type aadErrorBody struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	Codes         []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
	ErrorURI      string `json:"error_uri"`
}

func (s *Server) aadError(w http.ResponseWriter, status int, code string, number int, description string) {
	now := s.now().UTC()
	trace, corr := newRequestID(), newRequestID()
	writeJSON(w, status, aadErrorBody{
		Error: code,
		Description: fmt.Sprintf("%s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			description, trace, corr, now.Format("2006-01-02 15:04:05Z")),
		Codes:         []int{number},
		Timestamp:     now.Format("2006-01-02 15:04:05Z"),
		TraceID:       trace,
		CorrelationID: corr,
		ErrorURI:      fmt.Sprintf("%s/error?code=%d", s.base, number),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	w.Write(body)
}

// accessClaims are the claims of an app-only Graph access token.
type accessClaims struct {
	jwt.RegisteredClaims
	TenantID string   `json:"tid"`
	AppID    string   `json:"appid"`
	Roles    []string `json:"roles,omitempty"`
	IDType   string   `json:"idtyp"`
	Version  string   `json:"ver"`
}

// issueToken signs an access token for the tenant's app, valid for the
// tenant's TokenLifetime on the server clock.
func (s *Server) issueToken(t *Tenant) (string, error) {
	now := s.now()
	c := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    "https://sts.windows.net/" + t.id + "/",
			Subject:   t.clientID,
			Audience:  jwt.ClaimStrings{s.base},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.lifetime)),
			ID:        newRequestID(),
		},
		TenantID: t.id,
		AppID:    t.clientID,
		Roles:    t.granted,
		IDType:   "app",
		Version:  "1.0",
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	tok.Header["kid"] = "graphsim"
	return tok.SignedString(s.signer)
}
