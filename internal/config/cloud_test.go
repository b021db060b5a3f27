package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestCloudStreamWarnings: a stream that Graph's documentation does not list
// for the tenant's cloud is a warning naming the tenant, the stream and the
// cloud and saying what to expect, never an error.
func TestCloudStreamWarnings(t *testing.T) {
	usgov := func(stream, cloud string) string {
		return fmt.Sprintf(`tenants[0].streams: tenant "contoso" archives %s, but Graph documents sign-in logs for the public cloud only, `+
			`not for %s: it may work there but is unverified; if the stream keeps failing, remove it from the tenant's streams`, stream, cloud)
	}
	china := func(stream, kind string) string {
		return fmt.Sprintf(`tenants[0].streams: tenant "contoso" archives %s, but Graph does not serve %s in cloud china `+
			`(it answers 400 "Resource not found for the segment …"): remove the stream from the tenant's streams`, stream, kind)
	}
	tests := []struct {
		name, cloud, streams string
		want                 []string
	}{
		{"public serves every stream", "public", "[all]", nil},
		{"default streams in usgov", "usgov", "", []string{usgov("interactive-signins", "usgov")}},
		{"every stream in usgov-dod", "usgov-dod", "[all]", []string{
			usgov("interactive-signins", "usgov-dod"),
			usgov("noninteractive-signins", "usgov-dod"),
			usgov("serviceprincipal-signins", "usgov-dod"),
			usgov("managedidentity-signins", "usgov-dod"),
		}},
		{"audits in usgov", "usgov", "[directory-audits, provisioning]", nil},
		{"china", "china", "[interactive-signins, directory-audits, provisioning]", []string{
			china("interactive-signins", "sign-in logs"),
			china("directory-audits", "directory audits"),
			china("provisioning", "provisioning logs"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yaml := header + tenantYAML + "    cloud: " + tt.cloud + "\n"
			if tt.streams != "" {
				yaml += "    streams: " + tt.streams + "\n"
			}
			if _, warnings, err := load(t, yaml); err != nil {
				t.Errorf("a stream the cloud does not document must not be an error: %v", err)
			} else if !reflect.DeepEqual(warnings, tt.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
