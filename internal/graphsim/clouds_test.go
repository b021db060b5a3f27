package graphsim

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestNationalClouds(t *testing.T) {
	for _, cloud := range []string{"", "public", "usgov", "usgov-dod", "china"} {
		s, _ := startSim(t, func(o *Options) { o.Tenants[0].Cloud = cloud })
		tok := fetchToken(t, s)
		ten := s.Tenant(testTenant)
		for _, st := range audit.Streams {
			if cloud != "china" {
				got, _ := fetchAll(t, s, tok, recentURL(s, st, "$top=500"))
				w := audit.Window{From: testNow.Add(-time.Hour), To: testNow}
				equalRecords(t, cloud+" "+st.Name, sortedUnique(t, st, inWindow(t, st, w, got)), ten.Visible(st.Name, w, testNow))
				continue
			}
			segment := st.Resource[strings.LastIndexByte(st.Resource, '/')+1:]
			if status, code, msg := graphError(t, get(t, s, tok, recentURL(s, st))); status != http.StatusBadRequest || code != "BadRequest" ||
				msg != "Resource not found for the segment '"+segment+"'." {
				t.Errorf("china %s: %d %s %q", st.Name, status, code, msg)
			}
		}
		if cloud == "china" { // the segment as the client spelled it
			r := get(t, s, tok, s.GraphURL()+"/v1.0/auditLogs/signins")
			if _, _, msg := graphError(t, r); msg != "Resource not found for the segment 'signins'." {
				t.Errorf("china signins: %q", msg)
			}
		}
	}
	cfg := baseTenant()
	cfg.Cloud = "germany"
	if s, err := Start(Options{Tenants: []TenantConfig{cfg}}); err == nil {
		s.Close()
		t.Error("Start accepted an unknown cloud")
	} else if !strings.Contains(err.Error(), `unknown Cloud "germany"`) {
		t.Errorf("unknown cloud: %v", err)
	}
}
