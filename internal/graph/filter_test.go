package graph

import (
	"net/url"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestWindowFilter(t *testing.T) {
	hour := audit.Window{From: mustTime(t, "2026-11-27T03:00:00Z"), To: mustTime(t, "2026-11-27T04:00:00Z")}
	frac := audit.Window{From: mustTime(t, "2026-11-27T03:00:00.25Z"), To: mustTime(t, "2026-11-27T03:59:59.5Z")}
	tests := []struct {
		name   string
		stream audit.Stream
		w      audit.Window
		extra  string
		want   string
	}{
		{"interactive", audit.InteractiveSignIns, hour, "",
			"(createdDateTime ge 2026-11-27T03:00:00Z and createdDateTime le 2026-11-27T04:00:00Z) and signInEventTypes/any(t: t eq 'interactiveUser')"},
		{"noninteractive", audit.NonInteractiveSignIns, hour, "",
			"(createdDateTime ge 2026-11-27T03:00:00Z and createdDateTime le 2026-11-27T04:00:00Z) and signInEventTypes/any(t: t eq 'nonInteractiveUser')"},
		{"serviceprincipal", audit.ServicePrincipalSignIns, hour, "",
			"(createdDateTime ge 2026-11-27T03:00:00Z and createdDateTime le 2026-11-27T04:00:00Z) and signInEventTypes/any(t: t eq 'servicePrincipal')"},
		{"managedidentity", audit.ManagedIdentitySignIns, hour, "",
			"(createdDateTime ge 2026-11-27T03:00:00Z and createdDateTime le 2026-11-27T04:00:00Z) and signInEventTypes/any(t: t eq 'managedIdentity')"},
		{"directory audits", audit.DirectoryAudits, hour, "",
			"activityDateTime ge 2026-11-27T03:00:00Z and activityDateTime le 2026-11-27T04:00:00Z"},
		{"provisioning", audit.Provisioning, hour, "",
			"activityDateTime gt 2026-11-27T02:59:59Z and activityDateTime lt 2026-11-27T04:00:00Z"},
		{"fractions widen the window", audit.DirectoryAudits, frac, "",
			"activityDateTime ge 2026-11-27T03:00:00Z and activityDateTime le 2026-11-27T04:00:00Z"},
		{"fractions widen the provisioning window", audit.Provisioning, frac, "",
			"activityDateTime gt 2026-11-27T02:59:59Z and activityDateTime lt 2026-11-27T04:00:00Z"},
		{"extra", audit.DirectoryAudits, hour, "result ne 'success'",
			"(activityDateTime ge 2026-11-27T03:00:00Z and activityDateTime le 2026-11-27T04:00:00Z) and (result ne 'success')"},
		{"extra on beta", audit.ServicePrincipalSignIns, hour, " appId eq 'x' ",
			"((createdDateTime ge 2026-11-27T03:00:00Z and createdDateTime le 2026-11-27T04:00:00Z) and signInEventTypes/any(t: t eq 'servicePrincipal')) and (appId eq 'x')"},
		{"blank extra", audit.DirectoryAudits, hour, "  ",
			"activityDateTime ge 2026-11-27T03:00:00Z and activityDateTime le 2026-11-27T04:00:00Z"},
		{"non-UTC bounds", audit.DirectoryAudits, audit.Window{
			From: mustTime(t, "2026-11-27T05:00:00+02:00"), To: mustTime(t, "2026-11-27T06:00:00+02:00")}, "",
			"activityDateTime ge 2026-11-27T03:00:00Z and activityDateTime le 2026-11-27T04:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WindowFilter(tt.stream, tt.w, tt.extra); got != tt.want {
				t.Errorf("WindowFilter\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCollectionURL(t *testing.T) {
	filter := "(createdDateTime ge 2026-11-27T03:00:00Z and createdDateTime le 2026-11-27T04:00:00Z) and " +
		"signInEventTypes/any(t: t eq 'nonInteractiveUser') and (userPrincipalName eq 'a+b&c=d#e%f@contoso.com' or city eq 'Zürich')"
	got := collectionURL("https://graph.microsoft.com", audit.NonInteractiveSignIns, filter, 1000)
	want := "https://graph.microsoft.com/beta/auditLogs/signIns?$filter=" +
		"(createdDateTime%20ge%202026-11-27T03:00:00Z%20and%20createdDateTime%20le%202026-11-27T04:00:00Z)%20and%20" +
		"signInEventTypes/any(t:%20t%20eq%20'nonInteractiveUser')%20and%20" +
		"(userPrincipalName%20eq%20'a%2Bb%26c%3Dd%23e%25f@contoso.com'%20or%20city%20eq%20'Z%C3%BCrich')&$top=1000"
	if got != want {
		t.Fatalf("collectionURL\n got %s\nwant %s", got, want)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("$filter") != filter || q.Get("$top") != "1000" || len(q) != 2 {
		t.Errorf("query decodes to %v, want the filter back and $top=1000", q)
	}
}
