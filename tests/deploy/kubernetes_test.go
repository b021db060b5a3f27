package deploy

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	psa "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/config"
)

// kustomizations are the folders that render a complete deployment.
var kustomizations = []string{baseDir, overlayDir}

// TestKustomizeRenders renders the base and the example overlay and checks
// the set of objects each produces (render decodes every one strictly) and
// their namespace.
func TestKustomizeRenders(t *testing.T) {
	tests := []struct {
		dir                                string
		namespaces, podMonitors, promRules int
		wantNamespace                      string
	}{
		{dir: baseDir},
		{dir: overlayDir, namespaces: 1, podMonitors: 1, promRules: 1, wantNamespace: "entra-archiver"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			m := render(t, tt.dir)
			counts := map[string][2]int{
				"Namespace":      {len(m.Namespaces), tt.namespaces},
				"ServiceAccount": {len(m.ServiceAccounts), 1},
				"ConfigMap":      {len(m.ConfigMaps), 1},
				"Secret":         {len(m.Secrets), 0}, // created by hand, never rendered
				"Service":        {len(m.Services), 1},
				"Deployment":     {len(m.Deployments), 1},
				"PDB":            {len(m.PDBs), 1},
				"NetworkPolicy":  {len(m.NetworkPolicies), 1},
				"PodMonitor":     {len(m.PodMonitors), tt.podMonitors},
				"PrometheusRule": {len(m.PrometheusRules), tt.promRules},
			}
			for kind, c := range counts {
				if c[0] != c[1] {
					t.Errorf("%d %s objects, want %d", c[0], kind, c[1])
				}
			}
			for _, meta := range namespaced(m) {
				if meta.Namespace != tt.wantNamespace {
					t.Errorf("%s is in namespace %q, want %q", meta.Name, meta.Namespace, tt.wantNamespace)
				}
			}
		})
	}
}

// namespaced lists the metadata of every namespaced object.
func namespaced(m *manifests) []metav1.ObjectMeta {
	var out []metav1.ObjectMeta
	for _, o := range m.ServiceAccounts {
		out = append(out, o.ObjectMeta)
	}
	for _, o := range m.ConfigMaps {
		out = append(out, o.ObjectMeta)
	}
	for _, o := range m.Services {
		out = append(out, o.ObjectMeta)
	}
	for _, o := range m.Deployments {
		out = append(out, o.ObjectMeta)
	}
	for _, o := range m.PDBs {
		out = append(out, o.ObjectMeta)
	}
	for _, o := range m.NetworkPolicies {
		out = append(out, o.ObjectMeta)
	}
	for _, o := range m.PodMonitors {
		out = append(out, o.Metadata)
	}
	for _, o := range m.PrometheusRules {
		out = append(out, o.Metadata)
	}
	return out
}

func archiverContainer(t testing.TB, d *appsv1.Deployment) *corev1.Container {
	t.Helper()
	for i, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "entra-archiver" {
			return &d.Spec.Template.Spec.Containers[i]
		}
	}
	t.Fatalf("Deployment %s has no container entra-archiver", d.Name)
	return nil
}

// containerPort resolves a port given by number or name against a
// container's ports.
func containerPort(c *corev1.Container, p intstr.IntOrString) (int32, error) {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp.ContainerPort, nil
		}
	}
	return 0, fmt.Errorf("port %s is not a port of container %s", p.String(), c.Name)
}

// TestListenerProbesAndPortsAgree checks that the config's http.listen is
// reachable from outside the pod and that the container port, the probes,
// the Service and the scrape annotations all point at it, with the paths the
// binary really serves.
func TestListenerProbesAndPortsAgree(t *testing.T) {
	served := servedPaths(t)
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			m := render(t, dir)
			pc := loadPodConfig(t, m, secretsFor(t, dir, m))
			host, portText, err := net.SplitHostPort(pc.cfg.HTTP.Listen)
			if err != nil {
				t.Fatalf("http.listen %q: %v", pc.cfg.HTTP.Listen, err)
			}
			if host != "" && host != "0.0.0.0" && host != "::" {
				t.Errorf("http.listen %q: probes and Prometheus cannot reach %s inside a pod; listen on 0.0.0.0 or :port", pc.cfg.HTTP.Listen, host)
			}
			port, err := strconv.Atoi(portText)
			if err != nil {
				t.Fatalf("http.listen port %q is not a number", portText)
			}
			d := only(t, "Deployment", m.Deployments)
			c := archiverContainer(t, d)
			if p, err := containerPort(c, intstr.FromString("http")); err != nil || int(p) != port {
				t.Errorf("containerPort http = %d (%v), http.listen port %d", p, err, port)
			}
			probes := map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
			wantPath := map[string]string{"startup": "/healthz", "liveness": "/healthz", "readiness": "/readyz"}
			for name, pr := range probes {
				if pr == nil || pr.HTTPGet == nil {
					t.Errorf("%s probe: missing or not httpGet", name)
					continue
				}
				if pr.HTTPGet.Path != wantPath[name] || !served[pr.HTTPGet.Path] {
					t.Errorf("%s probe path %q, want %s (served: %v)", name, pr.HTTPGet.Path, wantPath[name], served)
				}
				if p, err := containerPort(c, pr.HTTPGet.Port); err != nil || int(p) != port {
					t.Errorf("%s probe port %s resolves to %d (%v), want %d", name, pr.HTTPGet.Port.String(), p, err, port)
				}
			}
			svc := only(t, "Service", m.Services)
			if !k8slabels.SelectorFromSet(svc.Spec.Selector).Matches(k8slabels.Set(d.Spec.Template.Labels)) {
				t.Errorf("Service selector %v does not select the pods %v", svc.Spec.Selector, d.Spec.Template.Labels)
			}
			sp := only(t, "Service port", svc.Spec.Ports)
			if p, err := containerPort(c, sp.TargetPort); err != nil || int(p) != port {
				t.Errorf("Service targetPort %s resolves to %d (%v), want %d", sp.TargetPort.String(), p, err, port)
			}
			ann := d.Spec.Template.Annotations
			if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != portText || ann["prometheus.io/path"] != "/metrics" {
				t.Errorf("scrape annotations %v, want scrape true, port %s, path /metrics", ann, portText)
			}
			if !served["/metrics"] {
				t.Error("the binary does not serve /metrics")
			}
		})
	}
}

// servedPaths asks the binary's real HTTP handler (app.Handler, on a local
// archive) which of the deployment's paths answer 200.
func servedPaths(t *testing.T) map[string]bool {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "config.yaml")
	yaml := fmt.Sprintf(`storage: {type: local, local: {path: %q}}
tenants:
  - name: contoso
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: CONTOSO_CLIENT_SECRET}
`, filepath.Join(dir, "archive"))
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(file, []string{"CONTOSO_CLIENT_SECRET=not-a-real-secret"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(t.Context(), app.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	served := map[string]bool{}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/nonexistent"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		served[p] = resp.StatusCode == http.StatusOK
	}
	if served["/nonexistent"] {
		t.Fatal("the handler answers 200 to any path; the probe check would prove nothing")
	}
	return served
}

// TestPodSecurity checks the pod against the Kubernetes "restricted" Pod
// Security Standard (the real admission checks) and the hardening the
// deployment promises beyond it.
func TestPodSecurity(t *testing.T) {
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			d := only(t, "Deployment", render(t, dir).Deployments)
			pod := d.Spec.Template
			lv := psa.LevelVersion{Level: psa.LevelRestricted, Version: psa.LatestVersion()}
			for _, r := range eval.EvaluatePod(lv, &pod.ObjectMeta, &pod.Spec) {
				if !r.Allowed {
					t.Errorf("restricted Pod Security Standard: %s: %s", r.ForbiddenReason, r.ForbiddenDetail)
				}
			}
			c := archiverContainer(t, d)
			sc := c.SecurityContext
			switch {
			case sc == nil:
				t.Fatal("container has no securityContext")
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Error("root filesystem is not read-only")
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Error("privilege escalation is allowed")
			case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
				t.Errorf("capabilities %v, want drop [ALL] and nothing added", sc.Capabilities)
			}
			ps := pod.Spec.SecurityContext
			if ps == nil || ps.RunAsUser == nil || *ps.RunAsUser != 65532 || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot {
				t.Errorf("pod securityContext %v, want runAsNonRoot and the image's user 65532", ps)
			}
			if pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
				t.Error("the Kubernetes API token is mounted; the archiver never uses it")
			}
			checkWritableTemp(t, d, c)
		})
	}
}

// checkWritableTemp checks that TMPDIR is a writable emptyDir with a size
// limit, since the root filesystem is read-only.
func checkWritableTemp(t *testing.T, d *appsv1.Deployment, c *corev1.Container) {
	t.Helper()
	tmp := "/tmp"
	for _, e := range c.Env {
		if e.Name == "TMPDIR" {
			tmp = e.Value
		}
	}
	i := slices.IndexFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == tmp })
	if i < 0 || c.VolumeMounts[i].ReadOnly {
		t.Fatalf("TMPDIR %s is not a writable mount", tmp)
	}
	v := slices.IndexFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == c.VolumeMounts[i].Name })
	if v < 0 || d.Spec.Template.Spec.Volumes[v].EmptyDir == nil || d.Spec.Template.Spec.Volumes[v].EmptyDir.SizeLimit == nil {
		t.Errorf("TMPDIR %s is not an emptyDir with a sizeLimit", tmp)
	}
}
