package format

import (
	"slices"
	"strconv"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// The portal's sign-in downloads. Every cell comes from the signIn beta
// resource; Location, Status and the three MFA columns are derived.

// signIn is a sign-in record as the portal's columns read it.
type signIn struct {
	rec *audit.Record
	top jsonObject
	// mfa is where the MFA columns read the method and its detail: mfaDetail
	// when it names a method, else the last MFA step of
	// authenticationDetails. step is that last MFA step (nil if none).
	mfa, step jsonObject
	// methodKey and detailKey name the members of mfa the method and
	// detail columns read.
	methodKey, detailKey string
}

func parseSignIn(rec *audit.Record, top jsonObject) *signIn {
	s := &signIn{rec: rec, top: top}
	for _, st := range objects(top.get("authenticationDetails")) {
		if isMFAStep(st) {
			s.step = st
		}
	}
	if d := top.obj("mfaDetail"); d.text("authMethod") != "" {
		s.mfa, s.methodKey, s.detailKey = d, "authMethod", "authDetail"
	} else {
		s.mfa, s.methodKey, s.detailKey = s.step, "authenticationMethod", "authenticationMethodDetail"
	}
	return s
}

// isMFAStep reports whether an authenticationDetails step is a second
// factor: its authenticationStepRequirement says multifactor authentication
// (Graph writes "Multi-factor authentication", "Multifactor authentication"
// or "MFA"). Primary and satisfied-by-token steps are not.
func isMFAStep(step jsonObject) bool {
	req := strings.ToLower(step.text("authenticationStepRequirement"))
	req = strings.NewReplacer("-", "", " ", "").Replace(req)
	return strings.Contains(req, "multifactor") || strings.Contains(req, "mfa")
}

// interruptedErrorCodes are the sign-in error codes the portal's Status
// shows as Interrupted rather than Failure: sign-ins that stopped to wait
// for the user (an MFA prompt, "Stay signed in?", a password change, consent,
// device registration). Microsoft does not publish the portal's list; this
// is the list of "Pending user action (Interrupts)" in Microsoft's own
// Sign-in Analysis workbook (microsoft/Application-Insights-Workbooks,
// Workbooks/Azure Active Directory/SignIns/SignIns.workbook).
var interruptedErrorCodes = []int64{
	16000, 16001, 16003, 50055, 50058, 50059, 50072, 50074, 50125, 50127,
	50129, 50140, 50143, 50144, 51006, 52004, 65001, 81010, 81012, 81014,
}

// signInStatus derives the portal's Status from status/errorCode: 0 is
// Success, an interrupted code Interrupted, any other code Failure. A
// record without an error code has an empty Status: Graph always sends one,
// and guessing would put words in the evidence.
func signInStatus(status jsonObject) string {
	code := status.text("errorCode")
	switch {
	case code == "":
		return ""
	case code == "0":
		return "Success"
	}
	if n, err := strconv.ParseInt(code, 10, 64); err == nil && slices.Contains(interruptedErrorCodes, n) {
		return "Interrupted"
	}
	return "Failure"
}

// signInLocation derives the portal's Location: "City, State, Country"
// from location/city, state and countryOrRegion. An empty part keeps its
// place ("Zürich, , CH"), so the cell always splits into the same three
// parts and "Dublin, IE" cannot be read as a state; a location with no part
// at all is an empty cell.
func signInLocation(loc jsonObject) string {
	city, state, country := loc.text("city"), loc.text("state"), loc.text("countryOrRegion")
	if city == "" && state == "" && country == "" {
		return ""
	}
	return city + ", " + state + ", " + country
}

func signInProp(name string, path ...string) column[*signIn] {
	return column[*signIn]{name, strings.Join(path, "/"), func(s *signIn) string { return s.top.text(path...) }}
}

var (
	signInDate = column[*signIn]{"Date (UTC)",
		portalDateSource("createdDateTime"),
		func(s *signIn) string { return portalDate(s.rec, s.top, "createdDateTime") }}
	signInLocationColumn = column[*signIn]{"Location",
		`"City, State, Country" from location/city, location/state, location/countryOrRegion (an empty part keeps its place; empty when all are)`,
		func(s *signIn) string { return signInLocation(s.top.obj("location")) }}
	signInStatusColumn = column[*signIn]{"Status",
		"Success (status/errorCode 0), Interrupted (an error code of the interrupted list below) or Failure (any other code); empty without an error code",
		func(s *signIn) string { return signInStatus(s.top.obj("status")) }}
)

// signInApplicationColumns are the columns every sign-in download of the
// portal shares, from Application to Failure reason.
func signInApplicationColumns() []column[*signIn] {
	return []column[*signIn]{
		signInProp("Application", "appDisplayName"),
		signInProp("Application ID ", "appId"),
		signInProp("App owner tenant ID", "appOwnerTenantId"),
		signInProp("Resource", "resourceDisplayName"),
		signInProp("Resource ID ", "resourceId"),
		signInProp("Resource tenant ID", "resourceTenantId"),
		signInProp("Resource owner tenant ID", "resourceOwnerTenantId"),
		signInProp("Home tenant ID", "homeTenantId"),
		signInProp("Home tenant name", "homeTenantName"),
		signInProp("IP address", "ipAddress"),
		signInLocationColumn,
		signInStatusColumn,
		signInProp("Sign-in error code", "status", "errorCode"),
		signInProp("Failure reason", "status", "failureReason"),
	}
}

// userSignIns is the view of the portal's interactive and non-interactive
// downloads (InteractiveSignIns, NonInteractiveSignIns).
var userSignIns = userSignInLayout()

func userSignInLayout() *view[*signIn] {
	cols := []column[*signIn]{
		signInDate,
		signInProp("Request ID", "id"),
		signInProp("User agent", "userAgent"),
		signInProp("Correlation ID", "correlationId"),
		signInProp("User ID", "userId"),
		signInProp("User", "userDisplayName"),
		signInProp("Username", "userPrincipalName"),
		signInProp("User type", "userType"),
		signInProp("Cross tenant access type", "crossTenantAccessType"),
		signInProp("Incoming token type", "incomingTokenType"),
		signInProp("Authentication Protocol", "authenticationProtocol"),
		signInProp("Unique token identifier", "uniqueTokenIdentifier"),
		signInProp("Original transfer method", "originalTransferMethod"),
		signInProp("Client credential type", "clientCredentialType"),
		signInProp("Token Protection - Sign In Session", "tokenProtectionStatusDetails", "signInSessionStatus"),
		signInProp("Token Protection - Sign In Session StatusCode", "tokenProtectionStatusDetails", "signInSessionStatusCode"),
	}
	cols = append(cols, signInApplicationColumns()...)
	cols = append(cols,
		signInProp("Client app", "clientAppUsed"),
		signInProp("Device ID", "deviceDetail", "deviceId"),
		signInProp("Browser", "deviceDetail", "browser"),
		signInProp("Operating System", "deviceDetail", "operatingSystem"),
		signInProp("Compliant", "deviceDetail", "isCompliant"),
		signInProp("Managed", "deviceDetail", "isManaged"),
		signInProp("Join Type", "deviceDetail", "trustType"),
		column[*signIn]{"Multifactor authentication result",
			"authenticationStepResultDetail of the last MFA step of authenticationDetails (a step whose authenticationStepRequirement is multifactor authentication); empty without one",
			func(s *signIn) string { return s.step.text("authenticationStepResultDetail") }},
		column[*signIn]{"Multifactor authentication auth method",
			"mfaDetail/authMethod; when that is empty, authenticationMethod of the last MFA step",
			func(s *signIn) string { return s.mfa.text(s.methodKey) }},
		column[*signIn]{"Multifactor authentication auth detail",
			"mfaDetail/authDetail; when mfaDetail/authMethod is empty, authenticationMethodDetail of the last MFA step",
			func(s *signIn) string { return s.mfa.text(s.detailKey) }},
		signInProp("Authentication requirement", "authenticationRequirement"),
		signInProp("Sign-in identifier", "signInIdentifier"),
		signInProp("Session ID", "sessionId"),
		signInProp("IP address (seen by resource)", "ipAddressFromResourceProvider"),
		signInProp("Through Global Secure Access", "isThroughGlobalSecureAccess"),
		signInProp("Global Secure Access IP address", "globalSecureAccessIpAddress"),
		signInProp("Autonomous system  number", "autonomousSystemNumber"),
		signInProp("Flagged for review", "flaggedForReview"),
		signInProp("Token issuer type", "tokenIssuerType"),
		signInProp("Incoming token type", "incomingTokenType"),
		signInProp("Token issuer name", "tokenIssuerName"),
		signInProp("Latency", "processingTimeInMilliseconds"),
		signInProp("Conditional Access", "conditionalAccessStatus"),
	)
	cols = append(cols, managedIdentityColumns()...)
	return &view[*signIn]{parse: parseSignIn, cols: cols}
}

// servicePrincipalColumns are the portal's service-principal download
// (ApplicationSignIns).
func servicePrincipalColumns() []column[*signIn] {
	cols := []column[*signIn]{
		signInDate,
		signInProp("Request ID", "id"),
		signInProp("Correlation ID", "correlationId"),
		signInProp("Service principal ID", "servicePrincipalId"),
		signInProp("Service principal name", "servicePrincipalName"),
		signInProp("Credential key ID", "servicePrincipalCredentialKeyId"),
		signInProp("Credential thumbprint", "servicePrincipalCredentialThumbprint"),
	}
	cols = append(cols, signInApplicationColumns()...)
	return append(cols, signInProp("Conditional Access", "conditionalAccessStatus"))
}

// managedIdentityColumns are the managed-identity columns that end the
// portal's user sign-in download.
func managedIdentityColumns() []column[*signIn] {
	return []column[*signIn]{
		signInProp("Managed Identity type", "managedServiceIdentity", "msiType"),
		signInProp("Associated Resource Id", "managedServiceIdentity", "associatedResourceId"),
		signInProp("Federated Token Id", "managedServiceIdentity", "federatedTokenId"),
		signInProp("Federated Token Issuer", "managedServiceIdentity", "federatedTokenIssuer"),
	}
}

func servicePrincipalSignInLayout() *view[*signIn] {
	return &view[*signIn]{parse: parseSignIn, cols: servicePrincipalColumns()}
}

// managedIdentitySignInLayout: the portal's managed-identity download
// (MSISignIns) was not observed. A managed identity signs in as a service principal, so the view
// is the service-principal download's columns followed by the four
// managed-identity columns of the user download, under the same names.
func managedIdentitySignInLayout() *view[*signIn] {
	cols := append(servicePrincipalColumns(), managedIdentityColumns()...)
	return &view[*signIn]{parse: parseSignIn, cols: cols}
}
