package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// configsEnv is what the files in configs/ expect in the environment.
var configsEnv = []string{
	"CONTOSO_CLIENT_SECRET=" + testSecret,
	"DEV_CLIENT_SECRET=" + testSecret,
	// Set by AKS's workload identity webhook in the pod.
	"AZURE_FEDERATED_TOKEN_FILE=/var/run/secrets/azure/tokens/azure-identity-token",
	"AZURITE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
}

func configFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../configs/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("configs/: %v, %v", files, err)
	}
	return files
}

// TestConfigsValidate loads every example configuration and checks that it
// validates without warnings, and that its Redacted dump loads back into the
// same configuration.
func TestConfigsValidate(t *testing.T) {
	for _, file := range configFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			c, warnings, err := Load(file, configsEnv)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %v", warnings)
			}
			again, _, err := Load(writeFile(t, "redacted.yaml", c.Redacted()), configsEnv)
			if err != nil {
				t.Fatalf("Load(Redacted()): %v\n%s", err, c.Redacted())
			}
			again.Path = c.Path
			stripEnv(c)
			stripEnv(again)
			if !reflect.DeepEqual(c, again) {
				t.Errorf("Redacted() does not load back into the same config:\n%s\nvs\n%s", c.Redacted(), again.Redacted())
			}
		})
	}
}

// TestExampleDocumentsEveryKey checks that example.yaml, the configuration
// reference, mentions every key (set or in a comment).
func TestExampleDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../../configs/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`(?m)^[ \t#-]*([a-z_]+):|[{,] *([a-z_]+):`)
	mentioned := map[string]bool{}
	for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
		mentioned[m[1]+m[2]] = true
	}
	keys := []string{
		"log", "level", "format", "http", "listen", "graph", "app_rate_limit", "requests", "per", "request_timeout",
		"storage", "type", "local", "path", "azblob", "account_url", "connection_string_env", "connection_string_file",
		"connection_string", "container", "prefix", "access_tier", "auth", "tenant_id", "state", "defaults",
		"schedule", "streams", "formats", "compression", "partition", "settle", "recheck", "start",
		"retention_warning", "rate_limit", "filter", "tenants", "name", "cloud", "method", "client_id",
		"client_secret", "client_secret_env", "client_secret_file", "certificate_file", "certificate_password",
		"certificate_password_env", "certificate_password_file", "token_file", "graph_endpoint", "authority_host",
		"disable_instance_discovery", "max_page_bytes", "allow_insecure_http",
	}
	var missing []string
	for _, k := range keys {
		if !mentioned[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("example.yaml does not document: %s", strings.Join(missing, ", "))
	}
}

// TestExampleStatesDefaults: the defaults section of example.yaml, the
// configuration reference, shows every default as it is.
func TestExampleStatesDefaults(t *testing.T) {
	c, _, err := Load("../../configs/example.yaml", configsEnv)
	if err != nil {
		t.Fatal(err)
	}
	if want := builtinSettings(); !reflect.DeepEqual(c.Defaults, want) {
		t.Errorf("example.yaml's defaults differ from the built-in ones:\n got %+v\nwant %+v", c.Defaults, want)
	}
}
