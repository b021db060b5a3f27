package graphsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestFilterRules(t *testing.T) {
	// Few records: a filter that matches nothing scans the whole month.
	s, _ := startSim(t, func(o *Options) {
		for name := range o.Tenants[0].Volume {
			o.Tenants[0].Volume[name] = 10
		}
	})
	tok := fetchToken(t, s)
	const ts = "2026-11-26T10:00:00Z"
	const ts2 = "2026-11-26T11:00:00.1234567Z"
	type tc struct {
		version, resource, filter string
		ok                        bool
	}
	var cases []tc
	ops := []string{"eq", "ne", "gt", "ge", "lt", "le"}
	allowed := map[string][]string{
		"signIns":         {"eq", "ge", "le"},
		"directoryAudits": {"eq", "ge", "le"},
		"provisioning":    {"eq", "gt", "lt"},
	}
	fields := map[string]string{"signIns": "createdDateTime", "directoryAudits": "activityDateTime", "provisioning": "activityDateTime"}
	for _, version := range []string{"v1.0", "beta"} {
		for res, field := range fields {
			for _, op := range ops {
				ok := strings.Contains(strings.Join(allowed[res], " "), op)
				cases = append(cases, tc{version, res, field + " " + op + " " + ts, ok})
			}
		}
	}
	cases = append(cases,
		// time literals: 0-7 fractional digits, offsets, but not strings or 8 digits
		tc{"v1.0", "signIns", "createdDateTime ge " + ts2 + " and createdDateTime le 2026-11-26T12:00:00.123Z", true},
		tc{"v1.0", "signIns", "createdDateTime ge 2026-11-26T10:00:00+02:00", true},
		tc{"v1.0", "signIns", "createdDateTime ge 2026-11-26T10:00:00.12345678Z", false},
		tc{"v1.0", "signIns", "createdDateTime ge '" + ts + "'", false},
		tc{"v1.0", "signIns", ts + " le createdDateTime", false},
		tc{"v1.0", "signIns", "createdDateTime ge " + ts + " or status/errorCode eq 0", false},
		tc{"v1.0", "signIns", "not (createdDateTime ge " + ts + ")", false},
		// property names: case-insensitive, except on provisioning
		tc{"v1.0", "signIns", "CreatedDateTime ge " + ts + " and Status/ErrorCode eq 0", true},
		tc{"v1.0", "directoryAudits", "ActivityDateTime le " + ts, true},
		tc{"v1.0", "provisioning", "ActivityDateTime gt " + ts, false},
		tc{"v1.0", "provisioning", "activityDateTime gt " + ts + " and provisioningAction eq 'create'", true},
		tc{"v1.0", "provisioning", "ProvisioningAction eq 'create'", false},
		tc{"v1.0", "signIns", "activityDateTime ge " + ts, false},
		tc{"v1.0", "directoryAudits", "createdDateTime ge " + ts, false},
		tc{"v1.0", "signIns", "noSuchProperty eq 1", false},
		tc{"v1.0", "signIns", "userAgent eq 'x'", false},
		tc{"beta", "signIns", "userAgent eq 'x'", true},
		// event types: beta only, one per query
		tc{"v1.0", "signIns", "signInEventTypes/any(t: t eq 'nonInteractiveUser')", false},
		tc{"v1.0", "signIns", "signInEventTypes/any(t: t eq 'interactiveUser')", false},
		tc{"beta", "signIns", "signInEventTypes/any(t: t eq 'interactiveUser')", true},
		tc{"beta", "signIns", "signInEventTypes/any(t: t eq 'nonInteractiveUser')", true},
		tc{"beta", "signIns", "(createdDateTime ge " + ts + " and createdDateTime le " + ts2 + ") and signInEventTypes/any(t: t eq 'servicePrincipal')", true},
		tc{"beta", "signIns", "signInEventTypes/any(t: t eq 'nonInteractiveUser' or t eq 'servicePrincipal')", false},
		tc{"beta", "signIns", "signInEventTypes/any(t: t eq 'nonInteractiveUser') and signInEventTypes/any(t: t eq 'servicePrincipal')", false},
		tc{"beta", "signIns", "signInEventTypes/any(t: t eq 'everything')", false},
		tc{"beta", "signIns", "status/errorCode eq 0 or signInEventTypes/any(t: t eq 'managedIdentity')", false},
		// syntax
		tc{"v1.0", "signIns", "status/errorCode eqq 0", false},
		tc{"v1.0", "signIns", "status/errorCode ne 0 and startswith(userPrincipalName,'admin')", true},
		tc{"v1.0", "directoryAudits", "targetResources/any(r: r/type eq 'User')", true},
	)
	for _, c := range cases {
		u := s.GraphURL() + "/" + c.version + "/auditLogs/" + c.resource + "?$top=5&$filter=" + url.QueryEscape(c.filter)
		r := get(t, s, tok, u)
		if c.ok && r.status != http.StatusOK {
			t.Errorf("%s %s %q: %d %s, want 200", c.version, c.resource, c.filter, r.status, r.body)
			continue
		}
		if !c.ok {
			var e graphErrorBody
			if r.status != http.StatusBadRequest || json.Unmarshal(r.body, &e) != nil || e.Error.Code != "BadRequest" ||
				!strings.HasPrefix(e.Error.Message, "Invalid filter clause") || e.Error.InnerError.RequestID == "" {
				t.Errorf("%s %s %q: %d %s, want 400 Invalid filter clause", c.version, c.resource, c.filter, r.status, r.body)
			}
		}
	}
}

// TestFilterSelects checks that residual clauses select exactly the
// records they describe, with Graph's case-insensitive string comparison
// except on provisioning.
func TestFilterSelects(t *testing.T) {
	s, _ := startSim(t, nil)
	tok := fetchToken(t, s)
	w := audit.Window{From: testNow.Add(-48 * time.Hour), To: testNow.Add(-46 * time.Hour)}
	ten := s.Tenant(testTenant)
	cases := []struct {
		st     audit.Stream
		filter string
		keep   func(m map[string]any) bool
	}{
		{audit.InteractiveSignIns, "status/errorCode ne 0 and startswith(userPrincipalName,'ADMIN')", func(m map[string]any) bool {
			return m["status"].(map[string]any)["errorCode"].(float64) != 0 && strings.HasPrefix(strings.ToLower(m["userPrincipalName"].(string)), "admin")
		}},
		{audit.NonInteractiveSignIns, "isInteractive eq false and location/countryOrRegion eq 'fr'", func(m map[string]any) bool {
			return m["location"].(map[string]any)["countryOrRegion"] == "FR"
		}},
		{audit.DirectoryAudits, "result eq 'failure'", func(m map[string]any) bool { return m["result"] == "failure" }},
		{audit.Provisioning, "provisioningStatusInfo/status eq 'Failure'", func(map[string]any) bool { return false }},
		{audit.Provisioning, "provisioningStatusInfo/status eq 'failure'", func(m map[string]any) bool {
			return m["provisioningStatusInfo"].(map[string]any)["status"] == "failure"
		}},
	}
	for _, c := range cases {
		filter := windowFilter(c.st, w) + " and " + c.filter
		got, _ := fetchAll(t, s, tok, collectionURL(s, c.st, filter, "$top=200"))
		var want [][]byte
		for _, raw := range ten.Visible(c.st.Name, w, testNow) {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if c.keep(m) {
				want = append(want, raw)
			}
		}
		if len(want) == 0 && !strings.Contains(c.filter, "'Failure'") {
			t.Fatalf("%s: no record matches %q: the test proves nothing", c.st.Name, c.filter)
		}
		equalRecords(t, c.st.Name+" "+c.filter, sortedUnique(t, c.st, inWindow(t, c.st, w, got)), want)
	}
}

func TestQueryOptions(t *testing.T) {
	// Queries without time bounds span the month: no timeouts here.
	s, _ := startSim(t, func(o *Options) { o.Tenants[0].WideQuery = -1 })
	tok := fetchToken(t, s)
	root := s.GraphURL()
	cases := []struct {
		path   string
		status int
	}{
		{"/v1.0/auditLogs/signIns?$top=1000", 200},
		{"/v1.0/auditLogs/signIns?$top=1", 200},
		{"/v1.0/auditLogs/signIns?$top=1001", 400},
		{"/v1.0/auditLogs/signIns?$top=0", 400},
		{"/v1.0/auditLogs/signIns?$top=ten", 400},
		{"/v1.0/auditLogs/provisioning?$top=1001", 400},
		{"/v1.0/auditLogs/directoryAudits?$top=1001", 400},
		{"/v1.0/auditLogs/signIns?$skip=10", 400},
		{"/v1.0/auditLogs/signIns?$orderby=createdDateTime", 400},
		{"/v1.0/auditLogs/directoryAudits?$orderby=activityDateTime%20desc", 200},
		{"/v1.0/auditLogs/directoryAudits?$orderby=category", 400},
		{"/v1.0/auditLogs/signIns?$select=id", 400},
		{"/v1.0/auditLogs/signIns?$top=5&$top=6", 400},
		{"/v1.0/auditLogs/signIns?$top=5&$TOP=6", 400},
		{"/v1.0/auditLogs/signIns?api-version=1&$top=2", 200},
		{"/v1.0/auditLogs/signIns?%24filter=createdDateTime+ge+2026-11-26T10:00:00Z&%24top=2", 200},
		{"/v1.0/auditLogs/signIns?$filter=createdDateTime%20ge%202026-11-26T10:00:00Z&$top=2", 200},
		{"/V1.0/AUDITLOGS/SIGNINS?$top=2", 200},
		{"/beta/auditLogs/signins?$top=2", 200},
		{"/v1.0/auditLogs/riskyUsers", 400},
		{"/v1.0/users", 400},
		{"/v2.0/auditLogs/signIns", 404},
	}
	for _, c := range cases {
		r := get(t, s, tok, root+c.path)
		if r.status != c.status {
			t.Errorf("%s: %d %s, want %d", c.path, r.status, r.body, c.status)
		}
		if r.status == 200 {
			if ct := r.header.Get("Content-Type"); ct != graphContentType {
				t.Errorf("%s: Content-Type %q", c.path, ct)
			}
		}
		if r.header.Get("request-id") == "" || r.header.Get("client-request-id") == "" {
			t.Errorf("%s: request ids missing", c.path)
		}
	}
}

func TestBetaDefaultsToInteractive(t *testing.T) {
	s, _ := startSim(t, nil)
	tok := fetchToken(t, s)
	c := decodePage(t, get(t, s, tok, s.GraphURL()+"/beta/auditLogs/signIns?$top=20&$filter=createdDateTime%20ge%202026-11-27T00:00:00Z"))
	if len(c.Value) != 20 {
		t.Fatalf("%d records", len(c.Value))
	}
	for _, v := range c.Value {
		var m struct {
			Types       []string `json:"signInEventTypes"`
			Interactive bool     `json:"isInteractive"`
		}
		if err := json.Unmarshal(v, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Types) != 1 || m.Types[0] != eventInteractive || !m.Interactive {
			t.Fatalf("beta default returned %v", m.Types)
		}
	}
}
