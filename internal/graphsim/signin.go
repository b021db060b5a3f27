package graphsim

var signInErrorCodes = []string{"50126", "50074", "50140", "53003", "50076", "700016", "7000215", "-1"}

var policyNames = []string{
	"Require MFA for admins", "Block legacy authentication", `Require compliant device, \"EU\" users`,
	"Sign-in risk <medium> & above", "Konditionaler Zugriff für Gäste", "测试策略 🛡️",
}

var operatingSystems = []string{"Windows 10", "Windows11", "MacOs", "Ios", "Android", "Linux", ""}

var browsers = []string{"Edge 120.0.0", "Chrome 120.0.0", "Safari 17.1", "Firefox 121.0", "Rich Client 16.0.17029.20028", "Python Requests 2.31"}

var clientAppsUsed = []string{"Browser", "Mobile Apps and Desktop clients", "Exchange ActiveSync", "Other clients"}

var authMethods = []string{"Password", "Mobile app notification", "OATH verification code", "Text message", "FIDO2 security key", "Previously satisfied"}

// appendSignIn appends a signIn (microsoft.graph.signIn). Version 0 is the
// record as first published; later versions carry the MFA result aggregated
// into it. The beta shape adds the beta-only properties.
func (g *recordGen) appendSignIn(dst []byte, r *rng, i int64, ver int, sh shape, big bool) []byte {
	d := g.dir
	u := d.users[r.intn(len(d.users))]
	ca := pick(r, clientApps)
	res := pick(r, resources)
	failed := r.chance(0.2)
	errorCode := pick(r, signInErrorCodes)
	reason := pick(r, trickyTexts)
	details := pick(r, trickyTexts)
	loc := pick(r, locations)
	risk := pick(r, []string{"none", "none", "none", "low", "hidden"})
	npol := 1 + r.intn(3)
	if big {
		npol = bigPayloadEntries(r)
	}
	interactive := g.eventType == eventInteractive
	user := g.eventType == eventInteractive || g.eventType == eventNonInteractive
	spIdx := r.intn(len(servicePrincipalNames))
	miIdx := r.intn(len(managedIdentityNames))

	dst = append(dst, '{')
	dst = g.appendLeadMembers(dst, i, "createdDateTime")
	if user {
		dst = append(dst, `,"userDisplayName":`...)
		dst = appendQuoted(dst, u.name)
		dst = append(dst, `,"userPrincipalName":`...)
		dst = appendQuoted(dst, u.upn)
		dst = append(dst, `,"userId":`...)
		dst = appendQuoted(dst, u.id)
		dst = append(dst, `,"appId":`...)
		dst = appendQuoted(dst, ca.id)
		dst = append(dst, `,"appDisplayName":`...)
		dst = appendQuoted(dst, ca.name)
	} else {
		name, id := servicePrincipalNames[spIdx], d.spIDs[spIdx]
		if g.eventType == eventManagedIdentity {
			name, id = managedIdentityNames[miIdx], d.miIDs[miIdx]
		}
		dst = append(dst, `,"userDisplayName":null,"userPrincipalName":null,"userId":"","appId":"`...)
		dst = r.appendGUID(dst)
		dst = append(dst, `","appDisplayName":`...)
		dst = appendQuoted(dst, name)
		dst = append(dst, `,"servicePrincipalName":`...)
		dst = appendQuoted(dst, name)
		dst = append(dst, `,"servicePrincipalId":`...)
		dst = appendQuoted(dst, id)
	}
	dst = append(dst, `,"ipAddress":`...)
	dst = appendIPAddress(dst, r)
	dst = append(dst, `,"clientAppUsed":`...)
	dst = appendQuoted(dst, pick(r, clientAppsUsed))
	dst = append(dst, `,"correlationId":"`...)
	dst = r.appendGUID(dst)
	dst = append(dst, `","conditionalAccessStatus":`...)
	switch {
	case ver > 0:
		dst = append(dst, `"success"`...)
	case failed:
		dst = append(dst, `"failure"`...)
	default:
		dst = append(dst, `"notApplied"`...)
	}
	dst = append(dst, `,"isInteractive":`...)
	dst = appendBool(dst, interactive)
	dst = append(dst, `,"riskDetail":`...)
	dst = g.appendEnum(dst, &riskDetails, i, sh.allEnums)
	dst = append(dst, `,"riskLevelAggregated":"`...)
	dst = append(dst, risk...)
	dst = append(dst, `","riskLevelDuringSignIn":"`...)
	dst = append(dst, risk...)
	dst = append(dst, `","riskState":"none","riskEventTypes":[],"riskEventTypes_v2":[],"resourceDisplayName":`...)
	dst = appendQuoted(dst, res.name)
	dst = append(dst, `,"resourceId":`...)
	dst = appendQuoted(dst, res.id)
	dst = append(dst, `,"status":{"errorCode":`...)
	if failed {
		dst = append(dst, errorCode...)
		dst = append(dst, `,"failureReason":`...)
		dst = appendQuoted(dst, reason)
	} else {
		dst = append(dst, `0,"failureReason":"Other."`...)
	}
	dst = append(dst, `,"additionalDetails":`...)
	if ver == 0 {
		dst = appendQuoted(dst, details)
	} else {
		dst = appendQuoted(dst, mfaDetails[min(ver, len(mfaDetails))-1])
	}
	dst = append(dst, `},"deviceDetail":{"deviceId":`...)
	if r.chance(0.3) {
		dst = append(dst, '"')
		dst = r.appendGUID(dst)
		dst = append(dst, `","displayName":"DESKTOP-`...)
		dst = appendUint(dst, r.next()%100000)
		dst = append(dst, '"')
	} else {
		dst = append(dst, `"","displayName":null`...)
	}
	dst = append(dst, `,"operatingSystem":`...)
	dst = appendQuoted(dst, pick(r, operatingSystems))
	dst = append(dst, `,"browser":`...)
	dst = appendQuoted(dst, pick(r, browsers))
	dst = append(dst, `,"isCompliant":`...)
	dst = appendBool(dst, r.chance(0.5))
	dst = append(dst, `,"isManaged":`...)
	dst = appendBool(dst, r.chance(0.5))
	dst = append(dst, `,"trustType":""},"location":{"city":`...)
	dst = appendQuoted(dst, loc.city)
	dst = append(dst, `,"state":`...)
	dst = appendQuoted(dst, loc.state)
	dst = append(dst, `,"countryOrRegion":`...)
	dst = appendQuoted(dst, loc.country)
	dst = append(dst, `,"geoCoordinates":{"altitude":`...)
	if r.chance(0.1) {
		dst = append(dst, pick(r, oddNumbers)...)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"latitude":`...)
	dst = append(dst, loc.lat...)
	dst = append(dst, `,"longitude":`...)
	dst = append(dst, loc.lon...)
	dst = append(dst, `}},"appliedConditionalAccessPolicies":[`...)
	for k := 0; k < npol; k++ {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":"`...)
		dst = r.appendGUID(dst)
		dst = append(dst, `","displayName":`...)
		dst = appendQuoted(dst, pick(r, policyNames))
		dst = append(dst, `,"enforcedGrantControls":["Mfa"],"enforcedSessionControls":[],"result":`...)
		dst = appendQuoted(dst, pick(r, []string{"success", "notApplied", "notEnabled", "reportOnlyNotApplied"}))
		dst = append(dst, '}')
	}
	dst = append(dst, `],"networkLocationDetails":`...)
	if r.chance(0.08) { // schema drift: an object where an array is expected
		dst = append(dst, `{"networkType":"namedNetwork","networkNames":["HQ, Building 7"]}`...)
	} else {
		dst = append(dst, `[{"networkType":"trustedNamedLocation","networkNames":["HQ, Building 7"]}]`...)
	}
	if sh.beta {
		dst = g.appendSignInBeta(dst, i, ver, interactive, sh.allEnums)
	}
	dst = appendExtras(dst, r, "riskState", jsonNone)
	return append(dst, '}')
}

// mfaDetails is status.additionalDetails by version: the MFA result is
// aggregated into a sign-in after it was first published.
var mfaDetails = []string{"MFA completed in Azure AD", "MFA requirement satisfied by strong authentication"}
