package graphsim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// serveGraph answers GET /{v1.0|beta}/auditLogs/{signIns|directoryAudits|provisioning}.
// Order of checks: token (401), throttling (429), injected faults, the
// collection and its cloud (400), permissions and licence (403), query and minimum allowed time (400), a
// wide first page (504), then the page.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request, segs []string) {
	x := s.newExchange(w, r)
	t, msg := s.authenticate(r)
	if msg != "" {
		x.tenant = t // known when a genuine token expired
		x.header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+s.base+`/common/oauth2/authorize", client_id="`+graphAppID+`"`)
		x.fail(http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
		return
	}
	x.tenant = t
	adm := s.admit(t)
	if adm.throttled {
		x.throttle(adm.retryAfter, adm.mode)
		return
	}
	_, hasSkiptoken := r.URL.Query()["$skiptoken"]
	f := t.faultFor(adm.request, hasSkiptoken)
	if x.failEarly(f) {
		return
	}
	if r.Method != http.MethodGet {
		x.fail(http.StatusMethodNotAllowed, "Request_BadRequest", fmt.Sprintf("The HTTP method '%s' is not supported for this resource.", r.Method))
		return
	}
	if len(segs) != 3 || !strings.EqualFold(segs[1], "auditLogs") {
		x.fail(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segs[len(segs)-1]))
		return
	}
	res, ok := resourceByPath(segs[2])
	if !ok || !t.cloudServes(res) {
		x.fail(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segs[2]))
		return
	}
	if missing := t.missingFor(res); len(missing) > 0 {
		x.fail(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation. The app lacks the application permissions "+strings.Join(missing, " and ")+".")
		return
	}
	if res.needsPremium() && t.licenceRefuses(adm.request) {
		x.fail(http.StatusForbidden, licenceCode, licenceMessage)
		return
	}
	beta := strings.EqualFold(segs[0], "beta")
	q, err := s.parseQuery(t, res, beta, r.URL.RawQuery)
	now := s.now()
	if err == nil {
		err = t.checkMinimumTime(q, now)
	}
	if err != nil {
		x.fail(http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	if t.timesOut(q, toTicks(now)) {
		x.fail(http.StatusGatewayTimeout, gatewayTimeoutCode, gatewayTimeoutMessage)
		return
	}
	q.shape.allEnums = prefersAllEnums(r.Header)
	if q.shape.allEnums {
		x.header().Set("Preference-Applied", preferUnknownEnums)
	}
	pg := s.buildPage(t, q, toTicks(now))
	if f.kind == FaultEarlyEnd {
		pg.nextLink = ""
	}
	x.writePage(pg, q, f)
}

// authenticate resolves the bearer token to its tenant. A non-empty message
// means 401; the tenant is still returned when the token was genuine but has
// expired, so the 401 is counted for it.
func (s *Server) authenticate(r *http.Request) (*Tenant, string) {
	h := r.Header.Get("Authorization")
	scheme, raw, _ := strings.Cut(h, " ")
	if h == "" || raw == "" {
		return nil, "Access token is empty."
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return nil, "Access token validation failure. Invalid scheme."
	}
	var c accessClaims
	_, err := jwt.ParseWithClaims(strings.TrimSpace(raw), &c, func(*jwt.Token) (any, error) { return &s.signer.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(s.now), jwt.WithAudience(s.base), jwt.WithExpirationRequired())
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return s.Tenant(c.TenantID), "Lifetime validation failed, the token is expired."
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, "Access token validation failure. Invalid audience."
	case err != nil:
		return nil, "Access token validation failure."
	}
	t := s.Tenant(c.TenantID)
	if t == nil || !strings.EqualFold(c.AppID, t.clientID) {
		return nil, "Access token validation failure. Unknown tenant or application."
	}
	return t, ""
}

// permissionNames are the consent-screen names Graph's 403 uses.
var permissionNames = map[string]string{
	permAuditLog:  "Read all audit log data (AuditLog.Read.All)",
	permDirectory: "Read directory data (Directory.Read.All)",
}

// missingFor lists the permissions the resource needs that the app lacks.
func (t *Tenant) missingFor(res resource) []string {
	need := []string{permAuditLog}
	if res.kind == kindSignIn {
		need = append(need, permDirectory)
	}
	var out []string
	for _, p := range need {
		if !slices.Contains(t.granted, p) {
			out = append(out, permissionNames[p])
		}
	}
	return out
}
