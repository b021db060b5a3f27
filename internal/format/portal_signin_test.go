package format

import (
	"strconv"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

const signInHead = `{"id":"s1","createdDateTime":"2026-11-27T03:15:42.1234567Z"`

func TestPortalSignInStatus(t *testing.T) {
	for _, tt := range []struct {
		status, want string
	}{
		{`{"errorCode":0}`, "Success"},
		{`{"errorCode":0,"failureReason":"Other."}`, "Success"},
		{`{"errorCode":50126}`, "Failure"},
		{`{"errorCode":7000215}`, "Failure"},
		{`{"errorCode":500121}`, "Failure"},
		{`{"errorCode":50074}`, "Interrupted"},
		{`{"errorCode":50140}`, "Interrupted"},
		{`{"errorCode":50125}`, "Interrupted"},
		{`{"errorCode":50055}`, "Interrupted"},
		{`{"errorCode":50072}`, "Interrupted"},
		{`{"errorCode":81010}`, "Interrupted"},
		{`{"errorCode":16000}`, "Interrupted"},
		{`{"errorCode":65001}`, "Interrupted"},
		{`{"errorCode":12345678901234567890}`, "Failure"},
		{`{"errorCode":null}`, ""},
		{`{}`, ""},
		{`null`, ""},
		{`[{"errorCode":0}]`, ""},
	} {
		for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.NonInteractiveSignIns, audit.ServicePrincipalSignIns, audit.ManagedIdentitySignIns} {
			cells, _ := portalRow(t, st, signInHead+`,"status":`+tt.status+`}`)
			if cells["Status"] != tt.want {
				t.Errorf("%s status %s: Status %q, want %q", st.Name, tt.status, cells["Status"], tt.want)
			}
		}
	}
	for _, code := range interruptedErrorCodes {
		cells, _ := portalRow(t, audit.InteractiveSignIns, signInHead+`,"status":{"errorCode":`+strconv.FormatInt(code, 10)+`}}`)
		if cells["Status"] != "Interrupted" || cells["Sign-in error code"] != strconv.FormatInt(code, 10) {
			t.Errorf("error code %d: Status %q, code %q", code, cells["Status"], cells["Sign-in error code"])
		}
	}
}

func TestPortalSignInLocation(t *testing.T) {
	for _, tt := range []struct {
		location, want string
	}{
		{`{"city":"Melbourne","state":"Victoria","countryOrRegion":"AU"}`, "Melbourne, Victoria, AU"},
		{`{"city":"Zürich","countryOrRegion":"CH"}`, "Zürich, , CH"},
		{`{"state":"Dublin","countryOrRegion":"IE"}`, ", Dublin, IE"},
		{`{"countryOrRegion":"US"}`, ", , US"},
		{`{"city":"Oslo"}`, "Oslo, , "},
		{`{"city":null,"state":"","countryOrRegion":null,"geoCoordinates":null}`, ""},
		{`{}`, ""},
		{`null`, ""},
		{`[{"city":"Oslo"}]`, ""},
		{`{"city":"São Paulo","state":"São \"SP\"","countryOrRegion":"BR"}`, `São Paulo, São "SP", BR`},
	} {
		for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.ServicePrincipalSignIns} {
			cells, _ := portalRow(t, st, signInHead+`,"location":`+tt.location+`}`)
			if cells["Location"] != tt.want {
				t.Errorf("%s location %s: %q, want %q", st.Name, tt.location, cells["Location"], tt.want)
			}
		}
	}
}

func TestPortalSignInMFA(t *testing.T) {
	const (
		primary   = `{"authenticationMethod":"Password","authenticationMethodDetail":"Password in the cloud","succeeded":true,"authenticationStepResultDetail":"Correct password","authenticationStepRequirement":"Primary authentication"}`
		push      = `{"authenticationMethod":"Mobile app notification","authenticationMethodDetail":null,"succeeded":true,"authenticationStepResultDetail":"MFA successfully completed","authenticationStepRequirement":"Multi-factor authentication"}`
		sms       = `{"authenticationMethod":"Text message","authenticationMethodDetail":"+X XXXXXXXX12","succeeded":false,"authenticationStepResultDetail":"Invalid verification code","authenticationStepRequirement":"Multifactor authentication"}`
		byClaim   = `{"authenticationMethod":"Previously satisfied","succeeded":true,"authenticationStepResultDetail":"MFA requirement satisfied by claim in the token","authenticationStepRequirement":"MFA"}`
		firstOnly = `{"authenticationMethod":"Previously satisfied","succeeded":true,"authenticationStepResultDetail":"First factor requirement satisfied by claim in the token","authenticationStepRequirement":""}`
	)
	for _, tt := range []struct {
		name, members                string
		result, method, methodDetail string
	}{
		{"mfaDetail and steps", `"mfaDetail":{"authMethod":"Mobile app notification","authDetail":null},"authenticationDetails":[` + primary + `,` + push + `]`,
			"MFA successfully completed", "Mobile app notification", ""},
		{"mfaDetail detail", `"mfaDetail":{"authMethod":"Text message","authDetail":"+X XXXXXXXX23"}`,
			"", "Text message", "+X XXXXXXXX23"},
		{"steps only: last MFA step", `"mfaDetail":{"authMethod":null,"authDetail":null},"authenticationDetails":[` + primary + `,` + sms + `,` + push + `]`,
			"MFA successfully completed", "Mobile app notification", ""},
		{"steps only: failed second factor", `"authenticationDetails":[` + primary + `,` + sms + `]`,
			"Invalid verification code", "Text message", "+X XXXXXXXX12"},
		{"MFA by claim", `"authenticationDetails":[` + byClaim + `]`,
			"MFA requirement satisfied by claim in the token", "Previously satisfied", ""},
		{"single factor", `"mfaDetail":null,"authenticationDetails":[` + primary + `,` + firstOnly + `]`, "", "", ""},
		{"no details", ``, "", "", ""},
		{"drift: step without array", `"authenticationDetails":` + push, "MFA successfully completed", "Mobile app notification", ""},
		{"drift: mfaDetail a string", `"mfaDetail":"Text message"`, "", "", ""},
		{"drift: details a string", `"authenticationDetails":"Password"`, "", "", ""},
	} {
		raw := signInHead
		if tt.members != "" {
			raw += "," + tt.members
		}
		cells, _ := portalRow(t, audit.InteractiveSignIns, raw+"}")
		got := [3]string{cells["Multifactor authentication result"], cells["Multifactor authentication auth method"], cells["Multifactor authentication auth detail"]}
		if want := [3]string{tt.result, tt.method, tt.methodDetail}; got != want {
			t.Errorf("%s: MFA cells %q, want %q", tt.name, got, want)
		}
	}
}

// TestPortalSignInCells checks the plain property columns and the date.
func TestPortalSignInCells(t *testing.T) {
	cells, overflow := portalRow(t, audit.InteractiveSignIns, signInHead+`,"appId":"a","resourceId":"r","autonomousSystemNumber":8075,`+
		`"incomingTokenType":"primaryRefreshToken","deviceDetail":{"isCompliant":true,"trustType":"Hybrid Azure AD joined"},`+
		`"tokenProtectionStatusDetails":{"signInSessionStatusCode":1002},"processingTimeInMilliseconds":1.0,`+
		`"managedServiceIdentity":{"msiType":"none","associatedResourceId":null}}`)
	for name, want := range map[string]string{
		"Date (UTC)":                "2026-11-27T03:15:42Z",
		"Request ID":                "s1",
		"Application ID ":           "a",
		"Resource ID ":              "r",
		"Autonomous system  number": "8075",
		"Incoming token type":       "primaryRefreshToken",
		"Compliant":                 "true",
		"Managed":                   "",
		"Join Type":                 "Hybrid Azure AD joined",
		"Token Protection - Sign In Session StatusCode": "1002",
		"Latency":                "1.0",
		"Managed Identity type":  "none",
		"Associated Resource Id": "",
	} {
		if cells[name] != want {
			t.Errorf("%q = %q, want %q", name, cells[name], want)
		}
	}
	if overflow {
		t.Error("a sign-in counted as overflowing")
	}
	for _, tt := range []struct{ time, want string }{
		{"2026-11-27T03:15:42Z", "2026-11-27T03:15:42Z"},
		{"2026-11-27T03:15:42.9999999Z", "2026-11-27T03:15:42Z"},
		{"2026-11-27T04:15:42.5+01:00", "2026-11-27T03:15:42Z"},
	} {
		cells, _ := portalRow(t, audit.ServicePrincipalSignIns, `{"id":"x","createdDateTime":"`+tt.time+`"}`)
		if cells["Date (UTC)"] != tt.want {
			t.Errorf("createdDateTime %s: Date (UTC) %q, want %q", tt.time, cells["Date (UTC)"], tt.want)
		}
	}
}
