package deploy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"

	"github.com/entra-archiver/entra-archiver/internal/app"
)

// parseGoMemLimit parses a GOMEMLIMIT value (bytes, or a number with B,
// KiB, MiB, GiB or TiB) as the Go runtime does.
func parseGoMemLimit(s string) (int64, error) {
	units := []struct {
		suffix string
		scale  int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	scale := int64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, scale = n, u.scale
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("GOMEMLIMIT %q is not a size", s)
	}
	return n * scale, nil
}

// TestResourcesAgree checks the container's resources against each other,
// the Go runtime's memory limit, the daemon's stop timeout and the sizing
// documented in docs/deploy.md.
func TestResourcesAgree(t *testing.T) {
	docs := string(readRepoFile(t, "docs/deploy.md"))
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			m := render(t, dir)
			d := only(t, "Deployment", m.Deployments)
			c := archiverContainer(t, d)
			req, lim := c.Resources.Requests, c.Resources.Limits
			for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				r, l := req[name], lim[name]
				if r.IsZero() || l.IsZero() || r.Cmp(l) > 0 {
					t.Errorf("%s: request %s, limit %s: want both, request ≤ limit", name, r.String(), l.String())
				}
				for _, q := range []resource.Quantity{r, l} {
					if !strings.Contains(docs, q.String()) {
						t.Errorf("docs/deploy.md does not state the %s %s", name, q.String())
					}
				}
			}
			memLimit := lim[corev1.ResourceMemory]
			var goMem int64
			for _, e := range c.Env {
				if e.Name == "GOMEMLIMIT" {
					v, err := parseGoMemLimit(e.Value)
					if err != nil {
						t.Fatal(err)
					}
					goMem = v
				}
			}
			if goMem < memLimit.Value()/2 || goMem > memLimit.Value()*9/10 {
				t.Errorf("GOMEMLIMIT %d bytes, want 50-90 %% of limits.memory (%s)", goMem, memLimit.String())
			}
			grace := time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
			if grace <= app.StopTimeout+5*time.Second {
				t.Errorf("terminationGracePeriodSeconds %v: run needs app.StopTimeout (%v) plus 5 s to shut its listener", grace, app.StopTimeout)
			}
			if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
				t.Errorf("replicas %v, want at least 2 (the leases make that safe)", d.Spec.Replicas)
			}
			pdb := only(t, "PodDisruptionBudget", m.PDBs)
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err != nil || !sel.Matches(k8slabels.Set(d.Spec.Template.Labels)) {
				t.Errorf("PodDisruptionBudget selector %v does not select the pods (%v)", pdb.Spec.Selector, err)
			}
			if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 1 || int32(pdb.Spec.MinAvailable.IntValue()) >= *d.Spec.Replicas {
				t.Errorf("PodDisruptionBudget minAvailable %v: want at least 1 and fewer than the %d replicas", pdb.Spec.MinAvailable, *d.Spec.Replicas)
			}
		})
	}
}

func TestParseGoMemLimit(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{{"400MiB", 400 << 20}, {"1GiB", 1 << 30}, {"1048576", 1 << 20}, {"512B", 512}, {"", -1}, {"400MB", -1}, {"-1MiB", -1}}
	for _, tt := range tests {
		got, err := parseGoMemLimit(tt.in)
		if (err != nil) != (tt.want < 0) || (err == nil && got != tt.want) {
			t.Errorf("parseGoMemLimit(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// image is the image reference the manifests deploy.
const image = "ghcr.io/entra-archiver/entra-archiver"

// TestImageAgrees checks that base and overlay deploy the same image and
// tag, and that the Dockerfile's build command and labels and the docs name
// it the same way.
func TestImageAgrees(t *testing.T) {
	var refs []string
	for _, dir := range kustomizations {
		d := only(t, "Deployment", render(t, dir).Deployments)
		// The example overlay also pins the tag's content by digest
		// (TestSecurityImagesByDigest); the tag is what must agree.
		ref, _, _ := strings.Cut(archiverContainer(t, d).Image, "@")
		repo, tag, ok := strings.Cut(ref, ":")
		if !ok || repo != image || tag == "" || tag == "latest" {
			t.Errorf("%s deploys %q, want %s:<pinned tag>", dir, ref, image)
		}
		refs = append(refs, ref)
	}
	if refs[0] != refs[1] {
		t.Errorf("base deploys %s, overlay %s", refs[0], refs[1])
	}
	ref := refs[0]
	_, tag, _ := strings.Cut(ref, ":")
	dockerfile := string(readRepoFile(t, "deploy/container/Dockerfile"))
	if !strings.Contains(dockerfile, "-t "+ref+" ") || !strings.Contains(dockerfile, "VERSION="+tag+" ") {
		t.Errorf("the Dockerfile's build command does not build %s with VERSION=%s", ref, tag)
	}
	owner := strings.TrimPrefix(image, "ghcr.io/")
	if src := dockerLabel(t, dockerfile, "org.opencontainers.image.source"); src != "https://github.com/"+owner {
		t.Errorf("image source label %q, want https://github.com/%s (the image %s)", src, owner, image)
	}
	if !strings.Contains(string(readRepoFile(t, "go.mod")), "module github.com/"+owner+"\n") {
		t.Errorf("go.mod's module path is not github.com/%s", owner)
	}
	if docs := string(readRepoFile(t, "docs/deploy.md")); !strings.Contains(docs, ref) {
		t.Errorf("docs/deploy.md does not name the image %s", ref)
	}
}

// dockerLabel returns the value of a LABEL key in a Dockerfile.
func dockerLabel(t *testing.T, dockerfile, key string) string {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(key) + `="([^"]*)"`).FindStringSubmatch(dockerfile)
	if m == nil {
		t.Fatalf("the Dockerfile has no label %s", key)
	}
	return m[1]
}

// TestWorkloadIdentityAgrees checks that the federated credential the Bicep
// and the app registration script create names the ServiceAccount the
// overlay deploys, and that the pods use it.
func TestWorkloadIdentityAgrees(t *testing.T) {
	m := render(t, overlayDir)
	sa := only(t, "ServiceAccount", m.ServiceAccounts)
	d := only(t, "Deployment", m.Deployments)
	if d.Spec.Template.Spec.ServiceAccountName != sa.Name || d.Spec.Template.Labels["azure.workload.identity/use"] != "true" {
		t.Errorf("pods do not use ServiceAccount %s with workload identity", sa.Name)
	}
	subject := "system:serviceaccount:" + sa.Namespace + ":" + sa.Name
	bicep := string(readRepoFile(t, "deploy/azure/main.bicep"))
	for param, want := range map[string]string{"kubernetesNamespace": sa.Namespace, "kubernetesServiceAccount": sa.Name} {
		m := regexp.MustCompile(`(?m)^param ` + param + ` string = '([^']*)'`).FindStringSubmatch(bicep)
		if m == nil || m[1] != want {
			t.Errorf("main.bicep param %s = %v, want %q (subject %s)", param, m, want, subject)
		}
	}
	script := string(readRepoFile(t, "deploy/azure/app-registration.sh"))
	if !strings.Contains(script, `"${K8S_NAMESPACE:-`+sa.Namespace+`}"`) || !strings.Contains(script, `"${K8S_SERVICE_ACCOUNT:-`+sa.Name+`}"`) {
		t.Errorf("app-registration.sh does not default to the ServiceAccount %s", subject)
	}
	if docs := string(readRepoFile(t, "docs/deploy.md")); !strings.Contains(docs, subject) {
		t.Errorf("docs/deploy.md does not name the federated subject %s", subject)
	}
}
