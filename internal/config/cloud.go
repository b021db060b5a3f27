package config

import "github.com/entra-archiver/entra-archiver/internal/audit"

// cloud is a national cloud: where it serves Graph and issues tokens, and
// which logs Graph's documentation lists there (GRAPH-NOTES.md, "National
// clouds").
type cloud struct {
	GraphEndpoint string // no trailing slash
	AuthorityHost string // trailing slash
	// SignIns is what Graph does with the four sign-in streams there;
	// Audits with directory-audits and provisioning.
	SignIns, Audits availability
}

// availability is what to expect of a log in a cloud.
type availability int

const (
	// documented: Graph's documentation lists the log for the cloud.
	documented availability = iota
	// undocumented: not listed for the cloud, yet it may work there (US
	// Government sign-ins, unverified in practice).
	undocumented
	// notServed: Graph answers 400 "Resource not found for the segment …".
	notServed
)

// clouds are the national clouds a tenant's cloud key can name.
var clouds = map[string]cloud{
	"public": {GraphEndpoint: "https://graph.microsoft.com", AuthorityHost: "https://login.microsoftonline.com/",
		SignIns: documented, Audits: documented},
	"usgov": {GraphEndpoint: "https://graph.microsoft.us", AuthorityHost: "https://login.microsoftonline.us/",
		SignIns: undocumented, Audits: documented},
	"usgov-dod": {GraphEndpoint: "https://dod-graph.microsoft.us", AuthorityHost: "https://login.microsoftonline.us/",
		SignIns: undocumented, Audits: documented},
	"china": {GraphEndpoint: "https://microsoftgraph.chinacloudapi.cn", AuthorityHost: "https://login.chinacloudapi.cn/",
		SignIns: notServed, Audits: notServed},
}

// cloudNames lists the clouds in documentation order.
var cloudNames = []string{"public", "usgov", "usgov-dod", "china"}

// availability says what Graph does with stream st in the cloud.
func (c cloud) availability(st audit.Stream) availability {
	if st.SignIns {
		return c.SignIns
	}
	return c.Audits
}

// checkCloudStreams warns about each stream of t that Graph's documentation
// does not list for t's cloud. A warning, not an error: US Government
// sign-ins may work, and a stream Graph does not serve fails on its own
// without stopping the tenant's other streams.
func (d *decoder) checkCloudStreams(path string, t Tenant) {
	for _, st := range t.Settings.Streams {
		switch clouds[t.Cloud].availability(st) {
		case undocumented:
			d.warnf(path, "tenant %q archives %s, but Graph documents %s for the public cloud only, not for %s: "+
				"it may work there but is unverified; if the stream keeps failing, remove it from the tenant's streams",
				t.Name, st.Name, logKind(st), t.Cloud)
		case notServed:
			d.warnf(path, "tenant %q archives %s, but Graph does not serve %s in cloud %s "+
				"(it answers 400 \"Resource not found for the segment …\"): remove the stream from the tenant's streams",
				t.Name, st.Name, logKind(st), t.Cloud)
		}
	}
}

// logKind names the Graph resource of st as the documentation does.
func logKind(st audit.Stream) string {
	switch {
	case st.SignIns:
		return "sign-in logs"
	case st.Name == audit.Provisioning.Name:
		return "provisioning logs"
	}
	return "directory audits"
}
