package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	azcontainer "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// TestTLSVerifiedAndContainerPrivate: without the simulator's CA the binary
// refuses Graph's certificate (verification is on; no configuration turns
// it off) and sends no credential; and the container the archiver creates
// has no public access, so an anonymous reader gets nothing.
func TestTLSVerifiedAndContainerPrivate(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	sim := startSim(t, graphsim.Options{Tenants: []graphsim.TenantConfig{
		frozenTenant(now, 71, map[string]float64{"interactive-signins": 300, "directory-audits": 120}),
	}})
	conn, container, _ := azuriteSink(t)
	cfg := fmt.Sprintf(`
http: {listen: ""}
storage: {type: azblob, azblob: {connection_string_env: AZ_CONN, container: %s}}
defaults: {start: 3h}
%s`, container, tenantYAML(sim, ""))
	trusting := newProcess(t, sim, cfg, "AZ_CONN="+conn)
	untrusting := &process{t: t, config: trusting.config, env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + t.TempDir(),
		"SSL_CERT_FILE=/dev/null", "E2E_SECRET=" + secret, "AZ_CONN=" + conn,
	}}
	code, _, stderr := untrusting.run("once")
	if code != 1 {
		t.Fatalf("once against an untrusted Graph certificate exited %d, want 1\n%s", code, lastLines(stderr, 10))
	}
	t.Logf("once against an untrusted certificate:\n%s", lastLines(stderr, 1))
	// The operator is told what is wrong and where to look, not just "x509".
	if !strings.Contains(stderr, "is not trusted") || !strings.Contains(stderr, "SSL_CERT_FILE") {
		t.Fatalf("the error does not say the certificate is untrusted and what to do:\n%s", lastLines(stderr, 10))
	}
	if s := sim.Tenant(tenantID).Stats(); s.TokenRequests+s.Requests > 0 {
		t.Fatalf("the simulator answered %d token and %d Graph requests over an unverified connection", s.TokenRequests, s.Requests)
	}
	trusting.mustRun("once")

	c, err := azcontainer.NewClientFromConnectionString(conn, container, nil)
	if err != nil {
		t.Fatal(err)
	}
	props, err := c.GetProperties(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if props.BlobPublicAccess != nil {
		t.Fatalf("the archive container was created with public access %q", *props.BlobPublicAccess)
	}
	anonymous, err := azcontainer.NewClientWithNoCredential(c.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pager := anonymous.NewListBlobsFlatPager(&azcontainer.ListBlobsFlatOptions{MaxResults: to.Ptr(int32(1))})
	if page, err := pager.NextPage(context.Background()); err == nil {
		t.Fatalf("an anonymous reader listed %d blobs of the archive", len(page.Segment.BlobItems))
	}
}
