package graphsim

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// cloudCollections says which activity-log collections Graph has in each
// national cloud (GRAPH-NOTES.md "National clouds"); it is the one place
// that does. directoryAudits and provisioning are documented for the global
// service and US Gov, not China. signIns is documented for the global
// service only; US Gov is "unverified in practice" and served here, since
// tenants there do read it. China has none of the three and answers 400
// "Resource not found for the segment 'signIns'.", which is not a filter
// problem.
var cloudCollections = map[string][]recordKind{
	"public":    {kindSignIn, kindDirectoryAudit, kindProvisioning},
	"usgov":     {kindSignIn, kindDirectoryAudit, kindProvisioning},
	"usgov-dod": {kindSignIn, kindDirectoryAudit, kindProvisioning},
	"china":     nil,
}

// cloudName is the table's name for TenantConfig.Cloud ("" is public).
func cloudName(cloud string) string {
	if cloud == "" {
		return "public"
	}
	return cloud
}

func checkCloud(cloud string) error {
	if _, ok := cloudCollections[cloudName(cloud)]; ok {
		return nil
	}
	known := make([]string, 0, len(cloudCollections))
	for name := range cloudCollections {
		known = append(known, name)
	}
	sort.Strings(known)
	return fmt.Errorf("unknown Cloud %q (known: %s)", cloud, strings.Join(known, ", "))
}

// cloudServes reports whether the tenant's cloud has the collection.
func (t *Tenant) cloudServes(res resource) bool {
	return slices.Contains(cloudCollections[t.cloud], res.kind)
}
