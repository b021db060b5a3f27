package format

import (
	"fmt"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestPortalProvisioningSteps(t *testing.T) {
	step := func(n int) string {
		return fmt.Sprintf(`{"name":"s%d","provisioningStepType":"export","status":"success","description":"d%d","details":{"n":%d}}`, n, n, n)
	}
	prop := func(n int) string { return fmt.Sprintf(`{"displayName":"p%d","oldValue":null,"newValue":"v%d"}`, n, n) }
	list := func(f func(int) string, n int) string {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, f(i))
		}
		return "[" + strings.Join(out, ",") + "]"
	}
	const head = `{"id":"p1","activityDateTime":"2026-11-27T03:00:00Z","changeId":"c1"`
	for _, tt := range []struct {
		steps, props int
		want         map[string]string
	}{
		{0, 0, map[string]string{"ProvisioningStep1Name": "", "MoreProvisioningSteps": "", "ModifiedProperty1Name": "", "MoreModifiedProperties": ""}},
		{6, 10, map[string]string{"ProvisioningStep6Name": "s6", "ProvisioningStep6Details": `{"n":6}`, "MoreProvisioningSteps": "",
			"ModifiedProperty10Name": "p10", "ModifiedProperty10OldValue": "", "ModifiedProperty10NewValue": "v10", "MoreModifiedProperties": ""}},
		{8, 11, map[string]string{"ProvisioningStep6Name": "s6", "MoreProvisioningSteps": "[" + step(7) + "," + step(8) + "]",
			"ModifiedProperty10Name": "p10", "MoreModifiedProperties": "[" + prop(11) + "]"}},
	} {
		raw := head + `,"provisioningSteps":` + list(step, tt.steps) + `,"modifiedProperties":` + list(prop, tt.props) + `}`
		cells, overflow := portalRow(t, audit.Provisioning, raw)
		if overflow {
			t.Errorf("%d steps, %d properties: provisioning loses nothing, yet counted as overflowing", tt.steps, tt.props)
		}
		for name, want := range tt.want {
			if cells[name] != want {
				t.Errorf("%d steps, %d properties: %q = %q, want %q", tt.steps, tt.props, name, cells[name], want)
			}
		}
		if cells["Change ID"] != "c1" {
			t.Errorf("Change ID = %q", cells["Change ID"])
		}
	}
}
