package graphsim

import (
	"net/http"
	"strings"
)

// Graph's evolvable enumerations gain members after unknownFutureValue.
// Graph serves such a member as "unknownFutureValue" unless the request
// carries Prefer: include-unknown-enum-members, and then answers
// Preference-Applied (GRAPH-NOTES.md "Evolvable enums"); a client that does
// not ask stores "unknownFutureValue" and loses the real value for good.
// Records carry newer members now and then; ground truth renders them as
// they are. A $filter is matched against the rendering sent.
//
// Directory audits and provisioning have no evolvable enumeration in v1.0
// (operationResult, provisioningAction, provisioningResult and
// provisioningStepType all end at unknownFutureValue), so only sign-ins
// carry newer members.

const (
	preferUnknownEnums = "include-unknown-enum-members"
	unknownFutureValue = "unknownFutureValue"
)

// evolvable is one evolvable enum property: the member most records carry,
// and the newer members that fraction of the records carry instead.
type evolvable struct {
	salt     uint64 // separates the draws of different properties
	usual    string
	newer    []string
	fraction float64
}

var (
	// tokenIssuerTypes is the beta signIn's tokenIssuerType.
	tokenIssuerTypes = evolvable{salt: 1, usual: "AzureAD", fraction: 0.04,
		newer: []string{"AzureADBackupAuth", "ADFederationServicesMFAAdapter", "NPSExtension"}}
	// riskDetails is the signIn's riskDetail (the riskDetail enumeration).
	riskDetails = evolvable{salt: 2, usual: "none", fraction: 0.03,
		newer: []string{"adminConfirmedServicePrincipalCompromised", "adminDismissedAllRiskForServicePrincipal",
			"m365DAdminDismissedDetection", "userChangedPasswordOnPremises", "adminDismissedRiskForSignIn", "adminConfirmedAccountSafe"}}
)

// appendEnum appends record i's member of e as a JSON string; a newer
// member reads unknownFutureValue unless allEnums. The draw is the record's
// own, apart from its content rng, so all versions and shapes agree.
func (g *recordGen) appendEnum(dst []byte, e *evolvable, i int64, allEnums bool) []byte {
	h := hash3(g.salt^e.salt<<32, saltEnum, i)
	member := e.usual
	if unit(h) < e.fraction {
		member = unknownFutureValue
		if allEnums {
			member = e.newer[splitmix(h)%uint64(len(e.newer))]
		}
	}
	return appendQuoted(dst, member)
}

// prefersAllEnums reports whether a request asks for evolvable members:
// include-unknown-enum-members among its Prefer preferences, in any case.
func prefersAllEnums(h http.Header) bool {
	for _, v := range h.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(p, ";")
			name, _, _ = strings.Cut(name, "=")
			if strings.EqualFold(strings.TrimSpace(name), preferUnknownEnums) {
				return true
			}
		}
	}
	return false
}
