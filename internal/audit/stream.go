package audit

import (
	"fmt"
	"strings"
)

// Stream is one kind of activity log and how Graph serves it.
type Stream struct {
	// Name is the contract name used in config, blob paths and metrics.
	Name string
	// APIVersion is the Graph version segment: "v1.0" or "beta".
	APIVersion string
	// Resource is the collection path below the version, e.g. "auditLogs/signIns".
	Resource string
	// TimeField is the record property that holds event time and decides the
	// partition.
	TimeField string
	// EventType, when set, is the signInEventTypes value ANDed to the window
	// filter (beta sign-ins: one type per query).
	EventType string
	// ExclusiveBounds is true where Graph accepts only gt/lt on TimeField
	// (provisioning); otherwise only ge/le are accepted.
	ExclusiveBounds bool
	// SignIns is true for the sign-in streams, which need an Entra ID P1/P2
	// licence and are served newest first.
	SignIns bool
}

// The six streams of the contract, in the order they are documented.
var (
	// Interactive sign-ins come from beta too: v1.0 serves them without
	// the ~45 properties (userAgent, authenticationDetails, tokenIssuerType,
	// …) that the portal's download shows (GRAPH-NOTES.md).
	InteractiveSignIns = Stream{Name: "interactive-signins", APIVersion: "beta",
		Resource: "auditLogs/signIns", TimeField: "createdDateTime", EventType: "interactiveUser", SignIns: true}
	NonInteractiveSignIns = Stream{Name: "noninteractive-signins", APIVersion: "beta",
		Resource: "auditLogs/signIns", TimeField: "createdDateTime", EventType: "nonInteractiveUser", SignIns: true}
	ServicePrincipalSignIns = Stream{Name: "serviceprincipal-signins", APIVersion: "beta",
		Resource: "auditLogs/signIns", TimeField: "createdDateTime", EventType: "servicePrincipal", SignIns: true}
	ManagedIdentitySignIns = Stream{Name: "managedidentity-signins", APIVersion: "beta",
		Resource: "auditLogs/signIns", TimeField: "createdDateTime", EventType: "managedIdentity", SignIns: true}
	DirectoryAudits = Stream{Name: "directory-audits", APIVersion: "v1.0",
		Resource: "auditLogs/directoryAudits", TimeField: "activityDateTime"}
	Provisioning = Stream{Name: "provisioning", APIVersion: "v1.0",
		Resource: "auditLogs/provisioning", TimeField: "activityDateTime", ExclusiveBounds: true}
)

// Streams lists every stream in contract order.
var Streams = []Stream{
	InteractiveSignIns, NonInteractiveSignIns, ServicePrincipalSignIns,
	ManagedIdentitySignIns, DirectoryAudits, Provisioning,
}

// AllStreams is the config value that selects every stream.
const AllStreams = "all"

// StreamByName returns the stream with the contract name, or false.
func StreamByName(name string) (Stream, bool) {
	for _, s := range Streams {
		if s.Name == name {
			return s, true
		}
	}
	return Stream{}, false
}

// StreamNames returns the contract names of every stream.
func StreamNames() []string {
	names := make([]string, len(Streams))
	for i, s := range Streams {
		names[i] = s.Name
	}
	return names
}

// ResolveStreams expands a configured stream list ("all" selects every stream)
// into streams, in contract order and without repeats.
func ResolveStreams(names []string) ([]Stream, error) {
	want := map[string]bool{}
	for _, n := range names {
		if n == AllStreams {
			return append([]Stream(nil), Streams...), nil
		}
		if _, ok := StreamByName(n); !ok {
			return nil, fmt.Errorf("unknown stream %q (known: %s, or %s)", n, strings.Join(StreamNames(), ", "), AllStreams)
		}
		want[n] = true
	}
	var out []Stream
	for _, s := range Streams {
		if want[s.Name] {
			out = append(out, s)
		}
	}
	return out, nil
}
