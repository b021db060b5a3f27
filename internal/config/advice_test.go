package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestLossyFormatsWarning: an archive in csv only is warned about where its
// formats are written (once for the defaults, however many tenants inherit
// them; not at all when no tenant does), never an error.
func TestLossyFormatsWarning(t *testing.T) {
	const lossy = ": csv only is lossy: a csv part keeps the documented columns, not each record as Graph sent it " +
		"(properties Graph adds are lost), and export can write such parts only as csv in those columns, " +
		"not as jsonl or json, with --where or with --columns portal; add jsonl, the lossless format (formats: [jsonl, csv])"
	second := strings.ReplaceAll(tenantYAML, "contoso", "fabrikam")
	tests := []struct {
		name, defaults, first, second string
		want                          []string
	}{
		{"jsonl", "", "", "", nil},
		{"csv with json", "defaults: {formats: [csv, json]}\n", "", "", nil},
		{"a tenant in csv", "", "    formats: [csv]\n", "", []string{"tenants[0].formats" + lossy}},
		{"defaults in csv, inherited twice", "defaults: {formats: [csv]}\n", "", "", []string{"defaults.formats" + lossy}},
		{"defaults in csv, inherited by none", "defaults: {formats: [csv]}\n", "    formats: [jsonl]\n", "    formats: [jsonl, csv]\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := tt.defaults + header + tenantYAML + tt.first + second + tt.second
			_, warnings, err := load(t, yaml, "FABRIKAM_SECRET=x")
			if err != nil {
				t.Fatalf("a lossy format must not be an error: %v", err)
			}
			if !reflect.DeepEqual(warnings, tt.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestFilterPropertyWarnings: a filter naming a property the stream's
// records do not have by their documentation, or one in the wrong case, is
// warned about at the filter's key (where it is written), by the rule
// export --where follows; a documented one, or a lambda's variable, is not.
func TestFilterPropertyWarnings(t *testing.T) {
	undocumented := func(path, prop, stream string) string {
		return path + `: property "` + prop + `" is not a documented property of ` + stream +
			` records (docs/csv-columns.md): if it is misspelt, Graph refuses the query or the filter compares it as null`
	}
	tests := []struct {
		name, defaults, tenant string
		want                   []string
	}{
		{"documented", "", `    filter: {interactive-signins: "status/errorCode ne 0 and conditionalAccessStatus eq 'failure'"}` + "\n", nil},
		{"lambda variable", "", `    filter: {interactive-signins: "appliedConditionalAccessPolicies/any(p: p/result eq 'failure')"}` + "\n", nil},
		{"wrong case", "", `    filter: {interactive-signins: "status/errorcode ne 0"}` + "\n", []string{
			`tenants[0].filter.interactive-signins: property "status/errorcode" is documented as "status/errorCode" (property names are case-sensitive)`}},
		{"misspelt", "", `    filter: {interactive-signins: "userPrincipleName eq 'a@b.c'"}` + "\n", []string{
			undocumented("tenants[0].filter.interactive-signins", "userPrincipleName", "interactive-signins")}},
		{"another stream's property", "defaults: {streams: [directory-audits], filter: {directory-audits: \"status/errorCode ne 0\"}}\n", "", []string{
			undocumented("defaults.filter.directory-audits", "status/errorCode", "directory-audits")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warnings, err := load(t, tt.defaults+header+tenantYAML+tt.tenant)
			if err != nil {
				t.Fatalf("an undocumented property must not be an error: %v", err)
			}
			if !reflect.DeepEqual(warnings, tt.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
