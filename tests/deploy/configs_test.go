package deploy

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/cli"
)

// exampleEnv is the environment the example configurations expect: the
// secrets they name (fake values), what the AKS workload identity webhook
// injects, and the credentials folder systemd's LoadCredential= fills.
var exampleEnv = []string{
	"CREDENTIALS_DIRECTORY=" + credentialsDir(),
	"CONTOSO_CLIENT_SECRET=not-a-real-secret",
	"DEV_CLIENT_SECRET=not-a-real-secret",
	"FABRIKAM_CLIENT_SECRET=not-a-real-secret",
	"AZURITE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
	"AZURE_CLIENT_ID=3f1c2b7e-8d4a-4c59-a6e2-0b9d7f5c1e48",
	"AZURE_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47",
	"AZURE_FEDERATED_TOKEN_FILE=/var/run/secrets/azure/tokens/azure-identity-token",
}

// credentialsDir is testdata/credentials, which holds the (fake) files the
// systemd units load with LoadCredential=, as an absolute path.
func credentialsDir() string {
	dir, err := filepath.Abs(filepath.Join("testdata", "credentials"))
	if err != nil {
		panic(err)
	}
	return dir
}

// exampleConfigs lists every example configuration: configs/*.yaml and the
// config.yaml files under deploy/.
func exampleConfigs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoPath(t, "configs"), "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(repoPath(t, "deploy"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "config.yaml" {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestExampleConfigsPassConfigCheck runs `entra-archiver config check` on
// every example configuration: each must pass without a warning.
func TestExampleConfigsPassConfigCheck(t *testing.T) {
	files := exampleConfigs(t)
	deploy := 0
	for _, f := range files {
		if strings.Contains(filepath.ToSlash(f), "/deploy/") {
			deploy++
		}
	}
	if len(files) < 6 || deploy < 3 {
		t.Fatalf("found %d example configs (%d under deploy/), want the 3 of configs/ and 3 under deploy/: %v", len(files), deploy, files)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(repoPath(t, "."), f)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := cli.MainContext(t.Context(), []string{"config", "check", "--config", f}, &stdout, &stderr, exampleEnv)
			if code != cli.ExitOK || stderr.Len() > 0 || !strings.Contains(stdout.String(), ": OK (") {
				t.Errorf("config check exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
			}
		})
	}
}
