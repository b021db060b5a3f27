package deploy

import (
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/entra-archiver/entra-archiver/internal/config"
)

// The deployment files' security promises (docs/security.md), checked.

// TestSecurityNetworkPolicyAdmitsOnlyTheScraper: the pods' only way in is
// the http port, from pods that match both a namespace and a pod selector
// (the monitoring namespace's Prometheus); their only ways out are HTTPS and
// DNS, which every endpoint the pod configuration names fits.
func TestSecurityNetworkPolicyAdmitsOnlyTheScraper(t *testing.T) {
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			m := render(t, dir)
			np := only(t, "NetworkPolicy", m.NetworkPolicies)
			d := only(t, "Deployment", m.Deployments)
			c := archiverContainer(t, d)
			sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			if err != nil || sel.Empty() || !sel.Matches(k8slabels.Set(d.Spec.Template.Labels)) {
				t.Fatalf("podSelector %v does not select the archiver's pods %v", np.Spec.PodSelector, d.Spec.Template.Labels)
			}
			if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
				t.Errorf("policyTypes %v, want Ingress and Egress", np.Spec.PolicyTypes)
			}
			http, err := containerPort(c, intstr.FromString("http"))
			if err != nil {
				t.Fatal(err)
			}
			if len(np.Spec.Ingress) == 0 {
				t.Fatal("no ingress rule: the scraper cannot reach /metrics")
			}
			for i, r := range np.Spec.Ingress {
				if len(r.From) == 0 {
					t.Errorf("ingress[%d] admits every peer", i)
				}
				for j, peer := range r.From {
					if peer.IPBlock != nil || emptySelector(peer.NamespaceSelector) || emptySelector(peer.PodSelector) {
						t.Errorf("ingress[%d].from[%d] %+v: want both a namespaceSelector and a podSelector with labels, no ipBlock", i, j, peer)
					}
				}
				if len(r.Ports) == 0 {
					t.Errorf("ingress[%d] admits every port", i)
				}
				for _, p := range r.Ports {
					if p.Port == nil || p.Protocol == nil || *p.Protocol != corev1.ProtocolTCP {
						t.Errorf("ingress[%d] port %+v, want TCP on the http port", i, p)
						continue
					}
					if got, err := containerPort(c, *p.Port); err != nil || got != http {
						t.Errorf("ingress[%d] port %s is not the http port %d (%v)", i, p.Port.String(), http, err)
					}
				}
			}
			allowed := map[string]bool{}
			for i, r := range np.Spec.Egress {
				if len(r.To) > 0 {
					t.Errorf("egress[%d] names peers: Graph, Entra and Storage are many addresses; restrict by port", i)
				}
				if len(r.Ports) == 0 {
					t.Errorf("egress[%d] admits every port", i)
				}
				for _, p := range r.Ports {
					if p.Port == nil || p.Protocol == nil {
						t.Errorf("egress[%d] port %+v without number or protocol", i, p)
						continue
					}
					allowed[string(*p.Protocol)+"/"+p.Port.String()] = true
				}
			}
			if want := map[string]bool{"TCP/443": true, "UDP/53": true, "TCP/53": true}; !mapsEqual(allowed, want) {
				t.Errorf("egress ports %v, want HTTPS and DNS only", allowed)
			}
			pc := loadPodConfig(t, m, secretsFor(t, dir, m))
			endpoints := []string{pc.cfg.Storage.Azblob.AccountURL}
			for _, tn := range pc.cfg.Tenants {
				endpoints = append(endpoints, tn.GraphEndpoint, tn.AuthorityHost)
			}
			for _, e := range endpoints {
				if u, err := url.Parse(e); e != "" && (err != nil || u.Scheme != "https" || (u.Port() != "" && u.Port() != "443")) {
					t.Errorf("the pod's configuration names %s, which the egress rules do not admit", e)
				}
			}
		})
	}
}

func emptySelector(s *metav1.LabelSelector) bool {
	return s == nil || len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// TestSecurityImagesByDigest: the example overlay pins the image by digest,
// so what runs is what was verified, whatever happens to the tag.
func TestSecurityImagesByDigest(t *testing.T) {
	d := only(t, "Deployment", render(t, overlayDir).Deployments)
	for _, c := range append(d.Spec.Template.Spec.InitContainers, d.Spec.Template.Spec.Containers...) {
		if !regexp.MustCompile(`@sha256:[0-9a-f]{64}$`).MatchString(c.Image) {
			t.Errorf("container %s runs %q, not pinned by digest", c.Name, c.Image)
		}
	}
}

// TestSecurityStatusPageOnLoopbackOutsideKubernetes: the endpoints have no
// authentication; where no NetworkPolicy guards them (systemd, the example
// configurations) they listen on loopback.
func TestSecurityStatusPageOnLoopbackOutsideKubernetes(t *testing.T) {
	for _, f := range exampleConfigs(t) {
		if strings.Contains(filepath.ToSlash(f), "/deploy/kubernetes/") {
			continue
		}
		cfg, _, err := config.Load(f, exampleEnv)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if cfg.HTTP.Listen == "" {
			continue
		}
		host, _, err := net.SplitHostPort(cfg.HTTP.Listen)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			t.Errorf("%s: http.listen %q is not on loopback", f, cfg.HTTP.Listen)
		}
	}
}

// TestSecuritySystemdSecretsThroughLoadCredential: the systemd example keeps
// secrets out of the environment: every secret file the configuration names
// lies in $CREDENTIALS_DIRECTORY and is loaded by both services with
// LoadCredential=, and no unit reads an environment file.
func TestSecuritySystemdSecretsThroughLoadCredential(t *testing.T) {
	raw := string(readRepoFile(t, systemdDir+"/config.yaml"))
	refs := regexp.MustCompile(`(?m)^\s*\w+_file:\s*\$\{CREDENTIALS_DIRECTORY\}/([\w.-]+)`).FindAllStringSubmatch(raw, -1)
	if len(refs) == 0 {
		t.Fatal("the systemd config names no secret in ${CREDENTIALS_DIRECTORY}")
	}
	if regexp.MustCompile(`(?m)^\s*\w+_env:`).MatchString(raw) {
		t.Error("the systemd config reads a secret from the environment")
	}
	for _, name := range []string{"entra-archiver.service", "entra-archiver-once.service"} {
		u := parseUnit(t, systemdDir+"/"+name)
		if files := u["Service"]["EnvironmentFile"]; len(files) > 0 {
			t.Errorf("%s: EnvironmentFile=%v puts secrets in the environment; use LoadCredential=", name, files)
		}
		loaded := map[string]bool{}
		for _, lc := range u["Service"]["LoadCredential"] {
			id, src, _ := strings.Cut(lc, ":")
			loaded[id] = strings.HasPrefix(src, "/etc/entra-archiver/credentials/")
		}
		for _, r := range refs {
			if !loaded[r[1]] {
				t.Errorf("%s: no LoadCredential=%s:/etc/entra-archiver/credentials/… for the config's ${CREDENTIALS_DIRECTORY}/%s", name, r[1], r[1])
			}
		}
	}
}

// archiverDataActions is what the archiver does to blobs: read and list,
// write (create-only uploads, state documents, leases) and append. No
// delete.
var archiverDataActions = []string{
	"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
	"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
	"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
}

// TestSecurityBicepLeastPrivilege: the identity's default role carries the
// data actions the archiver needs and no delete, on its containers only.
func TestSecurityBicepLeastPrivilege(t *testing.T) {
	bicep := string(readRepoFile(t, bicepPath))
	list := func(name string) []string {
		m := regexp.MustCompile(`(?s)\nvar ` + name + ` = \[\n(.*?)\n\]`).FindStringSubmatch(bicep)
		if m == nil {
			t.Fatalf("main.bicep has no var %s list", name)
		}
		var out []string
		for _, l := range strings.Split(m[1], "\n") {
			out = append(out, strings.Trim(strings.TrimSpace(l), "'"))
		}
		return out
	}
	if got := list("archiverDataActions"); !slices.Equal(got, archiverDataActions) {
		t.Errorf("archiverDataActions %v, want %v", got, archiverDataActions)
	}
	for _, a := range append(list("archiverActions"), list("archiverDataActions")...) {
		if strings.Contains(strings.ToLower(a), "delete") || strings.Contains(a, "*") {
			t.Errorf("the archiver's role grants %s", a)
		}
	}
	for _, want := range []string{
		"param roleWithoutDelete bool = true",
		"dataActions: archiverDataActions",
		"actions: archiverActions",
		"roleDefinitionId: archiverRoleId",
		"assignableScopes: [\n      resourceGroup().id",
		"scope: stateContainer",
	} {
		if !strings.Contains(bicep, want) {
			t.Errorf("main.bicep lacks %q", want)
		}
	}
	if n := strings.Count(bicep, "roleDefinitionId: "); n != strings.Count(bicep, "roleDefinitionId: archiverRoleId") {
		t.Errorf("%d role assignments, not all with the archiver's role", n)
	}
}

// TestSecurityBicepStorageProtections: network rules, versioning, soft
// delete, the archive's retention policy and the audit trail of reads are
// in the template, with safe defaults.
func TestSecurityBicepStorageProtections(t *testing.T) {
	bicep := string(readRepoFile(t, bicepPath))
	for _, want := range []string{
		// network rules: naming a network refuses every other one
		"publicNetworkAccess: publicNetworkAccess",
		"defaultAction: empty(allowedIpRanges) && empty(allowedSubnetIds) ? 'Allow' : 'Deny'",
		"bypass: 'None'",
		"param allowedIpRanges array = []",
		"param allowedSubnetIds array = []",
		// versions and soft delete
		"param blobVersioning bool = true",
		"isVersioningEnabled: blobVersioning",
		"deleteRetentionPolicy: softDelete",
		"containerDeleteRetentionPolicy: softDelete",
		"param softDeleteDays int = 14",
		"daysAfterCreationGreaterThan: versionRetentionDays",
		// time-based retention (WORM) on the archive container, opt-in
		"param archiveRetentionDays int = 0",
		"= if (archiveRetentionDays > 0) {\n  parent: container",
		"immutabilityPeriodSinceCreationInDays: archiveRetentionDays",
		// the state's own container is mutable and private
		"param stateContainerName string = ''",
		// who read, wrote or deleted what
		"'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (!empty(logAnalyticsWorkspaceId))",
		"scope: blobService",
		"category: 'StorageRead'",
		"category: 'StorageWrite'",
		"category: 'StorageDelete'",
	} {
		if !strings.Contains(bicep, want) {
			t.Errorf("main.bicep lacks %q", want)
		}
	}
	if strings.Count(bicep, "publicAccess: 'None'") != 2 {
		t.Error("every container must be created with publicAccess 'None'")
	}
}
