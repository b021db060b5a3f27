package format

import (
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestMatchProperty(t *testing.T) {
	for _, tc := range []struct {
		stream   audit.Stream
		path     string
		match    PropertyMatch
		spelling string
	}{
		{audit.InteractiveSignIns, "status/errorCode", Documented, "status/errorCode"},
		{audit.InteractiveSignIns, "status", Documented, "status"},                        // an object with documented members
		{audit.InteractiveSignIns, "appliedConditionalAccessPolicies/id", Documented, ""}, // inside a property kept as JSON
		{audit.InteractiveSignIns, "status/errorcode", WrongCase, "status/errorCode"},
		{audit.InteractiveSignIns, "UserPrincipalName", WrongCase, "userPrincipalName"},
		{audit.InteractiveSignIns, "userPrincipleName", Undocumented, ""},
		{audit.InteractiveSignIns, "activityDisplayName", Undocumented, ""}, // an audit's, not a sign-in's
		{audit.DirectoryAudits, "activityDisplayName", Documented, "activityDisplayName"},
		{audit.DirectoryAudits, "status/errorCode", Undocumented, ""},
	} {
		match, spelling := MatchProperty(tc.stream, strings.Split(tc.path, "/"))
		if match != tc.match || (tc.spelling != "" && spelling != tc.spelling) {
			t.Errorf("MatchProperty(%s, %s) = %d, %q; want %d, %q", tc.stream.Name, tc.path, match, spelling, tc.match, tc.spelling)
		}
	}
}
