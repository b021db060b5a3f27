package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Kustomizations under deploy/kubernetes.
const (
	baseDir    = "deploy/kubernetes/base"
	overlayDir = "deploy/kubernetes/overlays/example"
)

// repoPath returns the absolute path of a file or folder given relative to
// the repository root.
func repoPath(t testing.TB, rel string) string {
	t.Helper()
	_, file, _, ok := goruntime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", filepath.FromSlash(rel))
}

func readRepoFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoPath(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// manifests are the objects one kustomization renders, decoded strictly.
// Kinds the deployment does not use fail the render.
type manifests struct {
	Namespaces      []*corev1.Namespace
	ServiceAccounts []*corev1.ServiceAccount
	ConfigMaps      []*corev1.ConfigMap
	Secrets         []*corev1.Secret
	Services        []*corev1.Service
	Deployments     []*appsv1.Deployment
	PDBs            []*policyv1.PodDisruptionBudget
	NetworkPolicies []*networkingv1.NetworkPolicy
	PodMonitors     []*podMonitor
	PrometheusRules []*prometheusRule
}

// kubeDecoder decodes the built-in kinds strictly: unknown, duplicate and
// wrongly-cased fields are errors, as with `kubectl apply --validate=strict`.
func kubeDecoder() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme, networkingv1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
}

// render runs kustomize on a folder of the repository (as `kubectl kustomize`
// does) and decodes every object it produces.
func render(t testing.TB, rel string) *manifests {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), repoPath(t, rel))
	if err != nil {
		t.Fatalf("kustomize %s: %v", rel, err)
	}
	out := &manifests{}
	dec := kubeDecoder()
	for _, r := range m.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %s: %v", rel, r.CurId(), err)
		}
		if err := out.add(dec, data); err != nil {
			t.Errorf("%s: %s: %v", rel, r.CurId(), err)
		}
	}
	return out
}

// decodeManifest decodes one YAML file of the repository strictly, for the
// files kustomize does not render (secret.example.yaml).
func decodeManifest(t testing.TB, rel string) *manifests {
	t.Helper()
	out := &manifests{}
	if err := out.add(kubeDecoder(), readRepoFile(t, rel)); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return out
}

func (m *manifests) add(dec runtime.Decoder, data []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return err
	}
	if tm.GroupVersionKind().Group == "monitoring.coreos.com" {
		return m.addMonitoring(tm.GroupVersionKind(), data)
	}
	obj, gvk, err := dec.Decode(data, nil, nil)
	if err != nil {
		return err
	}
	switch o := obj.(type) {
	case *corev1.Namespace:
		m.Namespaces = append(m.Namespaces, o)
	case *corev1.ServiceAccount:
		m.ServiceAccounts = append(m.ServiceAccounts, o)
	case *corev1.ConfigMap:
		m.ConfigMaps = append(m.ConfigMaps, o)
	case *corev1.Secret:
		m.Secrets = append(m.Secrets, o)
	case *corev1.Service:
		m.Services = append(m.Services, o)
	case *appsv1.Deployment:
		m.Deployments = append(m.Deployments, o)
	case *policyv1.PodDisruptionBudget:
		m.PDBs = append(m.PDBs, o)
	case *networkingv1.NetworkPolicy:
		m.NetworkPolicies = append(m.NetworkPolicies, o)
	default:
		return fmt.Errorf("unexpected kind %v", gvk)
	}
	return nil
}

// addMonitoring decodes the Prometheus Operator objects into the local
// types, strictly.
func (m *manifests) addMonitoring(gvk schema.GroupVersionKind, data []byte) error {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return err
	}
	var target any
	switch gvk {
	case schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"}:
		r := &prometheusRule{}
		m.PrometheusRules, target = append(m.PrometheusRules, r), r
	case schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PodMonitor"}:
		p := &podMonitor{}
		m.PodMonitors, target = append(m.PodMonitors, p), p
	default:
		return fmt.Errorf("unexpected kind %v", gvk)
	}
	strict, err := sigsjson.UnmarshalStrict(j, target)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		return fmt.Errorf("strict decoding: %v", strict)
	}
	return nil
}

// only returns the single element of a list, failing the test otherwise.
func only[T any](t testing.TB, what string, list []T) T {
	t.Helper()
	if len(list) != 1 {
		t.Fatalf("want exactly one %s, got %d", what, len(list))
	}
	return list[0]
}
