package graphsim

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Client assertions: the token endpoint accepts, instead of a client secret,
// a signed JWT in client_assertion. Entra tells the two kinds apart by the
// issuer: an assertion the app signed itself with a registered certificate
// has iss = sub = client_id; anything else must come from one of the app's
// federated identity credentials (workload identity: the AKS service-account
// token, passed through unchanged).

const (
	// jwtBearerAssertion is the only client_assertion_type Entra accepts.
	jwtBearerAssertion = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// FederatedAudience is the audience Entra requires of a federated token.
	FederatedAudience = "api://AzureADTokenExchange"
	// assertionSkew is the clock skew tolerated on exp and nbf.
	assertionSkew = 5 * time.Minute
)

// FederatedIssuer is a federated identity credential of the app: Entra
// trusts a token that Issuer signed with Key for Subject and audience
// FederatedAudience (for AKS workload identity, the cluster's OIDC issuer
// URL and "system:serviceaccount:NAMESPACE:NAME").
type FederatedIssuer struct {
	Issuer, Subject string
	// Key verifies the issuer's signatures (*rsa.PublicKey or
	// *ecdsa.PublicKey), standing in for the issuer's JWKS.
	Key crypto.PublicKey
}

// credentials are the ways an app registration (or managed identity) may
// prove itself besides its client secret.
type credentials struct {
	certs           []*x509.Certificate
	federated       []FederatedIssuer
	managedIdentity ManagedIdentityKind
}

func newCredentials(cfg TenantConfig) credentials {
	return credentials{
		certs:           slices.Clone(cfg.ClientCertificates),
		federated:       slices.Clone(cfg.FederatedIssuers),
		managedIdentity: cfg.ManagedIdentity,
	}
}

// validateCredentials reports the first credential configuration error.
func (c *TenantConfig) validateCredentials() error {
	if c.ClientID == "" {
		return errors.New("ClientID is required")
	}
	if c.ClientSecret == "" && len(c.ClientCertificates) == 0 && len(c.FederatedIssuers) == 0 && c.ManagedIdentity == NoManagedIdentity {
		return errors.New("a credential is required: ClientSecret, ClientCertificates, FederatedIssuers or ManagedIdentity")
	}
	for _, cert := range c.ClientCertificates {
		if cert == nil {
			return errors.New("ClientCertificates holds a nil certificate")
		}
	}
	for _, f := range c.FederatedIssuers {
		if f.Issuer == "" || f.Subject == "" || f.Key == nil {
			return errors.New("a FederatedIssuer needs Issuer, Subject and Key")
		}
	}
	if c.ManagedIdentity < NoManagedIdentity || c.ManagedIdentity > UserAssigned {
		return fmt.Errorf("unknown ManagedIdentity %d", c.ManagedIdentity)
	}
	return nil
}

// assertionClaims are the claims checked in either kind of assertion.
type assertionClaims struct {
	jwt.RegisteredClaims
}

// authenticateClient checks how the app proves its identity: a client
// secret, or a client assertion for tokenEndpoint (the URL the request was
// sent to, which a certificate assertion must name as its audience).
func (t *Tenant) authenticateClient(form url.Values, tokenEndpoint string) *tokenFailure {
	secret, assertion, assertionType := form.Get("client_secret"), form.Get("client_assertion"), form.Get("client_assertion_type")
	switch {
	case secret != "" && (assertion != "" || assertionType != ""):
		return invalidClient(http.StatusBadRequest, "invalid_request", 700025,
			"AADSTS700025: Only one of 'client_secret' and 'client_assertion' may be presented.")
	case assertionType != "" || assertion != "":
		return t.authenticateAssertion(assertion, assertionType, tokenEndpoint)
	case secret == "":
		return invalidClient(http.StatusUnauthorized, "invalid_client", 7000218,
			"AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
	case t.secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(t.secret)) != 1:
		return invalidClient(http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
			"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.",
			t.clientID))
	}
	return nil
}

func invalidClient(status int, code string, number int, description string) *tokenFailure {
	return &tokenFailure{status: status, code: code, number: number, description: description}
}

// authenticateAssertion verifies a certificate assertion or a federated
// token, in Entra's order: shape, kind (by issuer), key, signature, claims.
func (t *Tenant) authenticateAssertion(assertion, assertionType, tokenEndpoint string) *tokenFailure {
	if assertionType != jwtBearerAssertion {
		return invalidClient(http.StatusBadRequest, "invalid_request", 70002, fmt.Sprintf(
			"AADSTS70002: The client_assertion_type '%s' is not supported; use '%s'.", assertionType, jwtBearerAssertion))
	}
	if assertion == "" {
		return invalidClient(http.StatusBadRequest, "invalid_request", 900144,
			"AADSTS900144: The request body must contain the following parameter: 'client_assertion'.")
	}
	var unverified assertionClaims
	tok, _, err := jwt.NewParser().ParseUnverified(assertion, &unverified)
	if err != nil {
		return invalidClient(http.StatusBadRequest, "invalid_request", 50027,
			"AADSTS50027: JWT token is invalid or malformed.")
	}
	if strings.EqualFold(unverified.Issuer, t.clientID) {
		return t.verifyCertificateAssertion(assertion, tok.Header, tokenEndpoint)
	}
	return t.verifyFederatedToken(assertion, unverified)
}

// verifyCertificateAssertion checks a JWT the app signed with the key of a
// registered certificate, named by its x5t#S256 (or SHA-1 x5t) thumbprint.
func (t *Tenant) verifyCertificateAssertion(assertion string, header map[string]any, tokenEndpoint string) *tokenFailure {
	cert, thumbprint := t.certificateFor(header)
	if cert == nil {
		return invalidClient(http.StatusUnauthorized, "invalid_client", 700027, fmt.Sprintf(
			"AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Configured keys for app Id '%s' can be seen in the portal under Certificates & secrets.]",
			thumbprint, t.clientID))
	}
	if x5c, ok := header["x5c"].([]any); ok && len(x5c) > 0 {
		if first, _ := x5c[0].(string); first != base64.StdEncoding.EncodeToString(cert.Raw) {
			return invalidClient(http.StatusUnauthorized, "invalid_client", 700027,
				"AADSTS700027: Client assertion contains an invalid signature. [Reason - The first certificate of x5c is not the one named by the thumbprint.]")
		}
	}
	var c assertionClaims
	_, err := jwt.ParseWithClaims(assertion, &c, func(*jwt.Token) (any, error) { return cert.PublicKey, nil },
		jwt.WithValidMethods([]string{"PS256", "RS256", "ES256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		return invalidClient(http.StatusUnauthorized, "invalid_client", 700027,
			"AADSTS700027: Client assertion contains an invalid signature. [Reason - The signature does not match the registered certificate's key.]")
	}
	if !strings.EqualFold(c.Subject, t.clientID) {
		return invalidClient(http.StatusUnauthorized, "invalid_client", 700021, fmt.Sprintf(
			"AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials. (sub '%s')",
			c.Subject))
	}
	if !slices.ContainsFunc(c.Audience, func(a string) bool { return strings.EqualFold(a, tokenEndpoint) }) {
		return invalidClient(http.StatusUnauthorized, "invalid_client", 50013, fmt.Sprintf(
			"AADSTS50013: Assertion audience claim does not match the required value. The audience in the assertion was '%s' and the expected audience is '%s'.",
			strings.Join(c.Audience, " "), tokenEndpoint))
	}
	return checkAssertionTime(c)
}

// certificateFor finds the registered certificate the assertion header names;
// it also returns the thumbprint as hex, for the error message.
func (t *Tenant) certificateFor(header map[string]any) (*x509.Certificate, string) {
	for _, h := range []struct {
		key  string
		hash func([]byte) []byte
	}{
		{"x5t#S256", func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
		{"x5t", func(b []byte) []byte { s := sha1.Sum(b); return s[:] }},
	} {
		v, _ := header[h.key].(string)
		if v == "" {
			continue
		}
		// MSAL encodes thumbprints in standard base64; RFC 7515 says base64url.
		want, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			if want, err = base64.RawURLEncoding.DecodeString(v); err != nil {
				return nil, v
			}
		}
		for _, cert := range t.creds.certs {
			if subtle.ConstantTimeCompare(h.hash(cert.Raw), want) == 1 {
				return cert, strings.ToUpper(hex.EncodeToString(want))
			}
		}
		return nil, strings.ToUpper(hex.EncodeToString(want))
	}
	return nil, ""
}

// verifyFederatedToken checks a token from a trusted external issuer: a
// federated identity credential must match its issuer and subject, its
// audience must be FederatedAudience and the issuer's key must verify it.
func (t *Tenant) verifyFederatedToken(assertion string, unverified assertionClaims) *tokenFailure {
	i := slices.IndexFunc(t.creds.federated, func(f FederatedIssuer) bool {
		return f.Issuer == unverified.Issuer && f.Subject == unverified.Subject
	})
	if i < 0 {
		return invalidClient(http.StatusBadRequest, "invalid_request", 70021, fmt.Sprintf(
			"AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'. Assertion Audience: '%s'.",
			unverified.Issuer, unverified.Subject, strings.Join(unverified.Audience, " ")))
	}
	fed := t.creds.federated[i]
	var c assertionClaims
	_, err := jwt.ParseWithClaims(assertion, &c, func(*jwt.Token) (any, error) { return fed.Key, nil },
		jwt.WithValidMethods([]string{"RS256", "PS256", "ES256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		return invalidClient(http.StatusUnauthorized, "invalid_client", 700027, fmt.Sprintf(
			"AADSTS700027: Client assertion contains an invalid signature. [Reason - No key of issuer '%s' verifies the signature.]", fed.Issuer))
	}
	if !slices.Contains(c.Audience, FederatedAudience) {
		return invalidClient(http.StatusBadRequest, "invalid_request", 700212, fmt.Sprintf(
			"AADSTS700212: No matching federated identity record found for presented assertion audience '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
			strings.Join(c.Audience, " ")))
	}
	return checkAssertionTime(c)
}

// checkAssertionTime checks exp (required) and nbf. Assertions are signed on
// the client's real clock, so they are checked against real time, not the
// server's simulated one.
func checkAssertionTime(c assertionClaims) *tokenFailure {
	now := time.Now()
	expired := c.ExpiresAt == nil || !now.Before(c.ExpiresAt.Add(assertionSkew))
	early := c.NotBefore != nil && now.Add(assertionSkew).Before(c.NotBefore.Time)
	if !expired && !early {
		return nil
	}
	var from, to string
	if c.NotBefore != nil {
		from = c.NotBefore.UTC().Format(time.RFC3339)
	}
	if c.ExpiresAt != nil {
		to = c.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return invalidClient(http.StatusUnauthorized, "invalid_client", 700024, fmt.Sprintf(
		"AADSTS700024: Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s.",
		now.UTC().Format(time.RFC3339), from, to))
}
