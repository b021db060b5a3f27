package graphsim

// Sign-in and provisioning logs need Entra ID P1/P2 (directory audits work
// on Free). Graph refuses them to a Free tenant with a 403, and to a
// licensed tenant now and then with the very same 403: a request fails, the
// next succeeds, mid-paging too (GRAPH-NOTES.md "Permissions and
// licences"). So the 403 proves a missing licence only on a tenant whose
// premium logs were never served; graphsim makes a licensed tenant flake
// only after it has served one, which keeps a deployment's first verdict
// deterministic.

const (
	licenceCode    = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
	licenceMessage = "Neither tenant is B2C or tenant doesn't have premium license"
)

// needsPremium reports whether Graph serves the collection only to tenants
// with P1/P2.
func (r resource) needsPremium() bool {
	return r.kind == kindSignIn || r.kind == kindProvisioning
}

// licenceRefuses reports whether the tenant's n-th Graph request, to a
// collection that needs P1/P2, is answered with the licence 403: always on
// a Free tenant; on a licensed one with probability LicenceFlake, drawn
// from Faults.Seed and n, once a premium request has been answered 200.
func (t *Tenant) licenceRefuses(n int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.free {
		return true
	}
	if t.licenceFlake <= 0 || !t.premiumOK {
		return false
	}
	return unit(hash3(uint64(t.faults.Seed), saltLicence, int64(n))) < t.licenceFlake
}

// notePremiumServed records a sign-in or provisioning page answered 200.
func (t *Tenant) notePremiumServed() {
	t.mu.Lock()
	t.premiumOK = true
	t.mu.Unlock()
}
