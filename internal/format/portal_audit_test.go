package format

import (
	"fmt"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

const portalAuditFixedHeader = `Date (UTC),CorrelationId,Service,Category,Activity,Result,ResultReason,User Agent,ActorType,ActorDisplayName,ActorObjectId,ActorUserPrincipalName,IPAddress,ActorHomeTenantId,ActorHomeTenantName,ActorServicePrincipalId,ActorServicePrincipalName`

// portalAuditHeader is the portal's flattened audit header
// (shared/PORTAL-CSV.md): the fixed columns, Target1..3 each followed by
// its ModifiedProperty1..5, AdditionalDetail1..6.
func portalAuditHeader() []string {
	h := strings.Split(portalAuditFixedHeader, ",")
	for n := 1; n <= 3; n++ {
		p := "Target" + string(rune('0'+n))
		h = append(h, p+"Type", p+"DisplayName", p+"ObjectId", p+"UserPrincipalName")
		for m := 1; m <= 5; m++ {
			q := p + "ModifiedProperty" + string(rune('0'+m))
			h = append(h, q+"Name", q+"OldValue", q+"NewValue")
		}
	}
	for n := 1; n <= 6; n++ {
		d := "AdditionalDetail" + string(rune('0'+n))
		h = append(h, d+"Key", d+"Value")
	}
	return h
}

func TestPortalAuditHeader(t *testing.T) {
	checkPortalHeader(t, audit.DirectoryAudits, portalAuditHeader())
}

const auditHead = `{"id":"a1","activityDateTime":"2026-11-27T03:00:00.5Z","activityDisplayName":"Update user"`

// auditTargetJSON is a target with props modified properties named p1….
func auditTargetJSON(name string, props int) string {
	var ps []string
	for m := 1; m <= props; m++ {
		ps = append(ps, fmt.Sprintf(`{"displayName":"p%d","oldValue":"[\"old%d\"]","newValue":null}`, m, m))
	}
	return fmt.Sprintf(`{"id":"%s-id","displayName":"%s","type":"User","userPrincipalName":"%s@contoso.com","modifiedProperties":[%s]}`,
		name, name, name, strings.Join(ps, ","))
}

func auditDetailsJSON(n int) string {
	var ds []string
	for i := 1; i <= n; i++ {
		ds = append(ds, fmt.Sprintf(`{"key":"k%d","value":"v%d"}`, i, i))
	}
	return "[" + strings.Join(ds, ",") + "]"
}

func TestPortalAuditFlattening(t *testing.T) {
	for _, tt := range []struct {
		name            string
		targets         []int // modified properties per target
		details         int
		overflow        bool
		lastTarget      string // display name in Target3
		lastProp        string // Target1ModifiedProperty5Name
		lastDetailValue string // AdditionalDetail6Value
	}{
		{"empty", nil, 0, false, "", "", ""},
		{"fits exactly", []int{5, 0, 1}, 6, false, "t3", "p5", "v6"},
		{"fourth target", []int{1, 1, 1, 1}, 0, true, "t3", "", ""},
		{"sixth modified property", []int{6}, 0, true, "", "p5", ""},
		{"sixth property of the third target", []int{0, 0, 6}, 0, true, "t3", "", ""},
		{"seventh additional detail", nil, 7, true, "", "", "v6"},
	} {
		var ts []string
		for i, n := range tt.targets {
			ts = append(ts, auditTargetJSON(fmt.Sprintf("t%d", i+1), n))
		}
		raw := auditHead + `,"targetResources":[` + strings.Join(ts, ",") + `],"additionalDetails":` + auditDetailsJSON(tt.details) + `}`
		cells, overflow := portalRow(t, audit.DirectoryAudits, raw)
		if overflow != tt.overflow {
			t.Errorf("%s: overflow %v, want %v", tt.name, overflow, tt.overflow)
		}
		got := [3]string{cells["Target3DisplayName"], cells["Target1ModifiedProperty5Name"], cells["AdditionalDetail6Value"]}
		if want := [3]string{tt.lastTarget, tt.lastProp, tt.lastDetailValue}; got != want {
			t.Errorf("%s: last cells %q, want %q", tt.name, got, want)
		}
		for name, cell := range cells {
			if strings.Contains(name, "Target4") || strings.Contains(cell, "t4") || cell == "p6" || cell == "v7" {
				t.Errorf("%s: %q = %q is beyond the portal's columns", tt.name, name, cell)
			}
		}
	}
	cells, _ := portalRow(t, audit.DirectoryAudits, auditHead+`,"targetResources":[`+auditTargetJSON("t1", 2)+`]}`)
	for name, want := range map[string]string{
		"Date (UTC)": "2026-11-27T03:00:00Z", "Activity": "Update user",
		"Target1Type": "User", "Target1DisplayName": "t1", "Target1ObjectId": "t1-id", "Target1UserPrincipalName": "t1@contoso.com",
		"Target1ModifiedProperty2Name": "p2", "Target1ModifiedProperty2OldValue": `["old2"]`, "Target1ModifiedProperty2NewValue": "",
		"Target2Type": "", "Target1ModifiedProperty3Name": "",
	} {
		if cells[name] != want {
			t.Errorf("%q = %q, want %q", name, cells[name], want)
		}
	}
}

// TestPortalAuditTargetType: Graph spells targetResources' type key "type"
// or "Type" (GRAPH-NOTES); both fill TargetNType.
func TestPortalAuditTargetType(t *testing.T) {
	for _, tt := range []struct{ target, want string }{
		{`{"id":"x","type":"User"}`, "User"},
		{`{"id":"x","Type":"ServicePrincipal"}`, "ServicePrincipal"},
		{`{"id":"x","Type":"Group","type":"User"}`, "User"},
		{`{"id":"x","type":"User","Type":"Group"}`, "User"},
		{`{"id":"x","type":null,"Type":"Group"}`, "Group"},
		{`{"id":"x","type":"","Type":"Device"}`, "Device"},
		{`{"id":"x","TYPE":"Role"}`, ""},
		{`{"id":"x"}`, ""},
	} {
		cells, _ := portalRow(t, audit.DirectoryAudits, auditHead+`,"targetResources":[`+tt.target+`,`+tt.target+`]}`)
		if cells["Target1Type"] != tt.want || cells["Target2Type"] != tt.want {
			t.Errorf("target %s: types %q, %q, want %q", tt.target, cells["Target1Type"], cells["Target2Type"], tt.want)
		}
	}
}

func TestPortalAuditActor(t *testing.T) {
	for _, tt := range []struct {
		name, initiatedBy string
		want              map[string]string
	}{
		{"user", `{"app":null,"user":{"id":"u1","displayName":"Ann","userPrincipalName":"ann@contoso.com","ipAddress":"192.0.2.1","homeTenantId":"t","homeTenantName":"Contoso"}}`,
			map[string]string{"ActorType": "User", "ActorDisplayName": "Ann", "ActorObjectId": "u1", "ActorUserPrincipalName": "ann@contoso.com",
				"IPAddress": "192.0.2.1", "ActorHomeTenantId": "t", "ActorHomeTenantName": "Contoso", "ActorServicePrincipalId": ""}},
		{"app", `{"user":null,"app":{"appId":"a1","displayName":"Sync","servicePrincipalId":"sp1","servicePrincipalName":"Sync SP"}}`,
			map[string]string{"ActorType": "Application", "ActorDisplayName": "Sync", "ActorObjectId": "sp1", "ActorUserPrincipalName": "",
				"ActorServicePrincipalId": "sp1", "ActorServicePrincipalName": "Sync SP"}},
		{"empty user beside an app", `{"user":{"id":null,"displayName":null,"userPrincipalName":null},"app":{"displayName":"Sync","servicePrincipalId":"sp1"}}`,
			map[string]string{"ActorType": "Application", "ActorDisplayName": "Sync", "ActorObjectId": "sp1"}},
		{"nobody", `{"user":null,"app":null}`, map[string]string{"ActorType": "", "ActorDisplayName": "", "ActorObjectId": ""}},
		{"drift", `[]`, map[string]string{"ActorType": "", "ActorDisplayName": ""}},
	} {
		cells, _ := portalRow(t, audit.DirectoryAudits, auditHead+`,"initiatedBy":`+tt.initiatedBy+`}`)
		for name, want := range tt.want {
			if cells[name] != want {
				t.Errorf("%s: %q = %q, want %q", tt.name, name, cells[name], want)
			}
		}
	}
}

func TestPortalAuditUserAgentAndDrift(t *testing.T) {
	for _, tt := range []struct {
		name, details, userAgent, key1 string
	}{
		{"from details", `[{"key":"UserType","value":"Member"},{"key":"User-Agent","value":"Mozilla/5.0"}]`, "Mozilla/5.0", "UserType"},
		{"key case", `[{"key":"user-agent","value":"curl/8"}]`, "curl/8", "user-agent"},
		{"none", `[{"key":"UserType","value":"Member"}]`, "", "UserType"},
		{"drift: one object without its array", `{"key":"User-Agent","value":"Edge"}`, "Edge", "User-Agent"},
		{"drift: a string", `"User-Agent"`, "", ""},
	} {
		cells, _ := portalRow(t, audit.DirectoryAudits, auditHead+`,"additionalDetails":`+tt.details+`}`)
		if cells["User Agent"] != tt.userAgent || cells["AdditionalDetail1Key"] != tt.key1 {
			t.Errorf("%s: User Agent %q, AdditionalDetail1Key %q; want %q, %q", tt.name, cells["User Agent"], cells["AdditionalDetail1Key"], tt.userAgent, tt.key1)
		}
	}
	cells, overflow := portalRow(t, audit.DirectoryAudits, auditHead+`,"targetResources":{"schemaDrift":"object"}}`)
	if cells["Target1Type"] != "" || overflow {
		t.Errorf("a drifted targetResources object: %q, overflow %v", cells["Target1Type"], overflow)
	}
}
