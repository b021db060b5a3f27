package deploy

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/entra-archiver/entra-archiver/internal/config"
)

// podConfig is the configuration file the pod is given, loaded by the real
// config package with the environment the pod gets.
type podConfig struct {
	cfg *config.Config
	env []string
}

// loadPodConfig follows the container's --config argument to the ConfigMap
// mounted there, and loads it with the container's environment plus what the
// AKS workload identity webhook injects into pods labelled for it. Secret
// references resolve against secrets (by name and key), with the example
// values they hold.
func loadPodConfig(t *testing.T, m *manifests, secrets []*corev1.Secret) podConfig {
	t.Helper()
	d := only(t, "Deployment", m.Deployments)
	c := archiverContainer(t, d)
	i := slices.Index(c.Args, "--config")
	if i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("container args %v have no --config FILE", c.Args)
	}
	file := c.Args[i+1]
	mount := slices.IndexFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool { return vm.MountPath == path.Dir(file) })
	if mount < 0 {
		t.Fatalf("nothing is mounted at %s", path.Dir(file))
	}
	vol := slices.IndexFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == c.VolumeMounts[mount].Name })
	if vol < 0 || d.Spec.Template.Spec.Volumes[vol].ConfigMap == nil {
		t.Fatalf("volume %s is not a ConfigMap", c.VolumeMounts[mount].Name)
	}
	cm := only(t, "ConfigMap", m.ConfigMaps)
	if got := d.Spec.Template.Spec.Volumes[vol].ConfigMap.Name; got != cm.Name {
		t.Fatalf("the config volume names ConfigMap %q, the render has %q", got, cm.Name)
	}
	data, ok := cm.Data[path.Base(file)]
	if !ok {
		t.Fatalf("ConfigMap %s has no key %s", cm.Name, path.Base(file))
	}
	local := filepath.Join(t.TempDir(), path.Base(file))
	if err := os.WriteFile(local, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(containerEnv(t, c, secrets), webhookEnv(t, m)...)
	cfg, warnings, err := config.Load(local, env)
	if err != nil {
		t.Fatalf("the pod's config does not validate: %v", err)
	}
	if len(warnings) > 0 {
		t.Errorf("the pod's config has warnings: %v", warnings)
	}
	return podConfig{cfg: cfg, env: env}
}

func containerEnv(t *testing.T, c *corev1.Container, secrets []*corev1.Secret) []string {
	t.Helper()
	var env []string
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+e.Value)
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			i := slices.IndexFunc(secrets, func(s *corev1.Secret) bool { return s.Name == ref.Name })
			if i < 0 {
				t.Fatalf("env %s: no Secret %s", e.Name, ref.Name)
			}
			v, ok := secrets[i].StringData[ref.Key]
			if !ok {
				t.Fatalf("env %s: Secret %s has no key %s", e.Name, ref.Name, ref.Key)
			}
			env = append(env, e.Name+"="+v)
		default:
			t.Fatalf("env %s: unsupported source %v", e.Name, e.ValueFrom)
		}
	}
	return env
}

// webhookEnv is what the AKS workload identity webhook adds to a pod
// labelled azure.workload.identity/use=true whose ServiceAccount names a
// client ID.
func webhookEnv(t *testing.T, m *manifests) []string {
	t.Helper()
	d := only(t, "Deployment", m.Deployments)
	if d.Spec.Template.Labels["azure.workload.identity/use"] != "true" {
		return nil
	}
	sa := only(t, "ServiceAccount", m.ServiceAccounts)
	if d.Spec.Template.Spec.ServiceAccountName != sa.Name {
		t.Fatalf("pods run as ServiceAccount %q, the render has %q", d.Spec.Template.Spec.ServiceAccountName, sa.Name)
	}
	clientID := sa.Annotations["azure.workload.identity/client-id"]
	if !guidRE.MatchString(clientID) {
		t.Fatalf("ServiceAccount annotation azure.workload.identity/client-id %q is not a GUID", clientID)
	}
	return []string{
		"AZURE_CLIENT_ID=" + clientID,
		"AZURE_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47",
		"AZURE_FEDERATED_TOKEN_FILE=/var/run/secrets/azure/tokens/azure-identity-token",
		"AZURE_AUTHORITY_HOST=https://login.microsoftonline.com/",
	}
}

// secretsFor returns the Secrets a kustomization's pods may reference: the
// rendered ones plus the overlay's documented example.
func secretsFor(t *testing.T, dir string, m *manifests) []*corev1.Secret {
	secrets := slices.Clone(m.Secrets)
	example := filepath.ToSlash(filepath.Join(dir, "secret.example.yaml"))
	if _, err := os.Stat(repoPath(t, example)); err == nil {
		s := only(t, "Secret in "+example, decodeManifest(t, example).Secrets)
		if ns := only(t, "Deployment", m.Deployments).Namespace; s.Namespace != ns {
			t.Errorf("%s is for namespace %q, the Deployment runs in %q", example, s.Namespace, ns)
		}
		secrets = append(secrets, s)
	}
	return secrets
}

// TestPodConfigValidates loads the configuration each kustomization gives
// its pods with the real config package, as `config check` would in the pod.
func TestPodConfigValidates(t *testing.T) {
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			m := render(t, dir)
			pc := loadPodConfig(t, m, secretsFor(t, dir, m))
			if len(pc.cfg.Tenants) == 0 {
				t.Error("no tenants")
			}
		})
	}
}

// guidRE is what a client or tenant ID looks like.
var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
