package graphsim

// appendSignInBeta appends the properties only the beta signIn carries. It
// draws from its own rng so the shared properties of a v1.0 and a beta
// rendering of the same record are identical.
func (g *recordGen) appendSignInBeta(dst []byte, i int64, ver int, interactive, allEnums bool) []byte {
	r := rng{s: hash3(g.salt, saltContent, ^i)}
	t, _ := g.tl.at(i)
	dst = append(dst, `,"signInEventTypes":["`...)
	dst = append(dst, g.eventType...)
	dst = append(dst, `"],"userAgent":`...)
	dst = appendQuoted(dst, pick(&r, userAgents))
	dst = append(dst, `,"authenticationRequirement":`...)
	if ver > 0 {
		dst = append(dst, `"multiFactorAuthentication"`...)
	} else {
		dst = append(dst, `"singleFactorAuthentication"`...)
	}
	dst = append(dst, `,"tokenIssuerType":`...)
	dst = g.appendEnum(dst, &tokenIssuerTypes, i, allEnums)
	dst = append(dst, `,"homeTenantId":"`...)
	dst = append(dst, g.dir.tenantID...)
	dst = append(dst, `","resourceTenantId":"`...)
	dst = append(dst, g.dir.tenantID...)
	dst = append(dst, `","uniqueTokenIdentifier":"`...)
	for k := 0; k < 3; k++ { // base64url-looking token id
		v := r.next()
		for b := 0; b < 7; b++ {
			dst = append(dst, base64URL[v&63])
			v >>= 6
		}
	}
	dst = append(dst, `","originalRequestId":"`...)
	dst = r.appendGUID(dst)
	dst = append(dst, `","processingTimeInMilliseconds":`...)
	dst = appendUint(dst, uint64(r.intn(900)+12))
	dst = append(dst, `,"autonomousSystemNumber":`...)
	dst = appendUint(dst, uint64(pick(&r, []int{8075, 3320, 7922, 16509, 13335})))
	dst = append(dst, `,"crossTenantAccessType":"none","incomingTokenType":"none","flaggedForReview":false`...)
	// Properties the portal's download has columns for: the owning tenants
	// of the app and the resource, token protection, the managed identity.
	dst = append(dst, `,"appOwnerTenantId":"`...)
	dst = append(dst, g.dir.tenantID...)
	dst = append(dst, `","resourceOwnerTenantId":"f8cdef31-a31e-4b4a-93e4-5f571e91255a","tokenProtectionStatusDetails":{"signInSessionStatus":"unbound","signInSessionStatusCode":1002}`...)
	if g.eventType == eventManagedIdentity {
		dst = append(dst, `,"managedIdentityType":"systemAssigned","managedServiceIdentity":{"msiType":"systemAssigned","associatedResourceId":"/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/prod/providers/Microsoft.Web/sites/orders","federatedTokenId":null,"federatedTokenIssuer":null}`...)
	} else {
		dst = append(dst, `,"managedIdentityType":"none","managedServiceIdentity":{"msiType":"none","associatedResourceId":null,"federatedTokenId":null,"federatedTokenIssuer":null}`...)
	}
	if g.eventType == eventServicePrincipal {
		dst = append(dst, `,"clientCredentialType":"clientSecret"`...)
	} else if g.eventType != eventManagedIdentity {
		dst = append(dst, `,"servicePrincipalId":"","servicePrincipalName":null,"clientCredentialType":"none"`...)
	} else {
		dst = append(dst, `,"clientCredentialType":"managedIdentity"`...)
	}
	dst = append(dst, `,"mfaDetail":{"authMethod":`...)
	if interactive && ver > 0 {
		dst = appendQuoted(dst, pick(&r, authMethods))
	} else {
		r.next()
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"authDetail":null},"authenticationDetails":[`...)
	for k := 0; k <= ver; k++ {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"authenticationStepDateTime":"`...)
		dst = appendTime(dst, t+int64(k)*37*ticksPerSec, 0)
		dst = append(dst, `","authenticationMethod":`...)
		dst = appendQuoted(dst, authMethods[(k+int(i))%len(authMethods)])
		dst = append(dst, `,"authenticationMethodDetail":null,"succeeded":true,"authenticationStepResultDetail":`...)
		dst = appendQuoted(dst, pick(&r, trickyTexts))
		dst = append(dst, `,"authenticationStepRequirement":"Primary authentication"}`...)
	}
	dst = append(dst, `],"authenticationProcessingDetails":[{"key":"Legacy TLS (TLS 1.0, 1.1, 3DES)","value":"False"},{"key":"Is CAE Token","value":"`...)
	dst = appendBool(dst, r.chance(0.5))
	dst = append(dst, `"}],"sessionLifetimePolicies":[]`...)
	return dst
}

const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
