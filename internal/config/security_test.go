package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const azuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

// TestSecurityClearTextStorageRefused: a connection string that reaches
// storage in plain http beyond this machine is refused at load, naming the
// key and what to do; Azurite on loopback keeps working; the opt-in key
// lets it through with a warning.
func TestSecurityClearTextStorageRefused(t *testing.T) {
	yaml := `
storage:
  azblob:
    connection_string_env: CONN
tenants:` + tenantYAML
	for _, tc := range []struct {
		name, cs string
		refused  bool
	}{
		{"Azurite on 127.0.0.1", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + azuriteKey + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;", false},
		{"Azurite on localhost", "AccountName=devstoreaccount1;AccountKey=" + azuriteKey + ";BlobEndpoint=http://localhost:10000/devstoreaccount1", false},
		{"Azurite on [::1]", "BlobEndpoint=http://[::1]:10000/devstoreaccount1;SharedAccessSignature=sv=2020-08-04&sig=x", false},
		{"https account", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + azuriteKey + ";EndpointSuffix=core.windows.net", false},
		{"http BlobEndpoint on the network", "BlobEndpoint=http://azurite:10000/devstoreaccount1;SharedAccessSignature=sv=2020-08-04&sig=SECRET", true},
		{"http account", "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=" + azuriteKey + ";EndpointSuffix=core.windows.net", true},
		{"http by default suffix", "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=" + azuriteKey, true},
	} {
		_, warnings, err := load(t, yaml, "CONN="+tc.cs)
		if !tc.refused {
			if err != nil || len(warnings) != 0 {
				t.Errorf("%s: %v, warnings %q; want it accepted", tc.name, err, warnings)
			}
			continue
		}
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if !strings.Contains(msg, "storage.azblob.connection_string_env: the connection string reaches storage at") ||
			!strings.Contains(msg, "allow_insecure_http") || strings.Contains(msg, "SECRET") || strings.Contains(msg, azuriteKey) {
			t.Errorf("%s: %q; want a problem at the key naming the host and the opt-in, and no secret", tc.name, msg)
		}
		c, warnings, err := load(t, yaml+"\n", "CONN="+tc.cs, "ENTRA_ARCHIVER_STORAGE__AZBLOB__ALLOW_INSECURE_HTTP=true")
		if err != nil || !c.Storage.Azblob.AllowInsecureHTTP {
			t.Fatalf("%s with allow_insecure_http: %v", tc.name, err)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "storage.azblob.allow_insecure_http: plain http") {
			t.Errorf("%s with allow_insecure_http: warnings %q, want one about plain http", tc.name, warnings)
		}
		if cs, err := c.Storage.Azblob.ResolveConnectionString(); err != nil || cs != tc.cs {
			t.Errorf("%s with allow_insecure_http: ResolveConnectionString = %v", tc.name, err)
		}
		if !strings.Contains(c.Redacted(), "allow_insecure_http: true") {
			t.Errorf("%s: Redacted() does not show the opt-in", tc.name)
		}
	}
}

// TestSecurityClearTextCheckedWhenOpened: a connection string file changed
// to plain http after the config was loaded is refused when the storage is
// opened.
func TestSecurityClearTextCheckedWhenOpened(t *testing.T) {
	file := filepath.Join(t.TempDir(), "conn")
	if err := os.WriteFile(file, []byte("BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;SharedAccessSignature=sig=x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustLoad(t, `
storage:
  azblob:
    connection_string_file: `+file+`
tenants:`+tenantYAML)
	if err := os.WriteFile(file, []byte("BlobEndpoint=http://storage.example:10000/acct;SharedAccessSignature=sig=x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Storage.Azblob.ResolveConnectionString(); err == nil || !strings.Contains(err.Error(), "storage.example:10000 in plain http") {
		t.Fatalf("ResolveConnectionString = %v, want plain http refused", err)
	}
}

// TestSecurityInsecureHTTPOnlyWithConnectionString: account_url signs in
// with a bearer token, which never travels in plain http.
func TestSecurityInsecureHTTPOnlyWithConnectionString(t *testing.T) {
	_, _, err := load(t, `
storage:
  azblob:
    account_url: https://acct.blob.core.windows.net
    allow_insecure_http: true
tenants:`+tenantYAML)
	if err == nil || !strings.Contains(err.Error(), "storage.azblob.allow_insecure_http: only used with a connection string") {
		t.Fatalf("Load = %v", err)
	}
}

// TestSecurityMaxPageBytes: graph.max_page_bytes defaults to 64 MiB, takes
// bytes or binary units, and refuses values that would break normal pages
// or no longer bound memory.
func TestSecurityMaxPageBytes(t *testing.T) {
	if c := mustLoad(t, "storage: {type: local}\ntenants:"+tenantYAML); c.Graph.MaxPageBytes != 64<<20 {
		t.Errorf("default %d, want 64 MiB", c.Graph.MaxPageBytes)
	}
	for v, want := range map[string]int64{"128MiB": 128 << 20, "2097152": 2 << 20, "1 GiB": 1 << 30, "4096KiB": 4 << 20} {
		c := mustLoad(t, "storage: {type: local}\ngraph: {max_page_bytes: "+v+"}\ntenants:"+tenantYAML)
		if c.Graph.MaxPageBytes != want {
			t.Errorf("%s: %d, want %d", v, c.Graph.MaxPageBytes, want)
		}
		again := mustLoad(t, c.Redacted())
		if again.Graph.MaxPageBytes != want {
			t.Errorf("%s: Redacted() reads back as %d", v, again.Graph.MaxPageBytes)
		}
	}
	if c := mustLoad(t, "storage: {type: local}\ntenants:"+tenantYAML, "ENTRA_ARCHIVER_GRAPH__MAX_PAGE_BYTES=32MiB"); c.Graph.MaxPageBytes != 32<<20 {
		t.Errorf("from the environment: %d", c.Graph.MaxPageBytes)
	}
	for v, want := range map[string]string{
		"100":    "must be from 1MiB to 1GiB",
		"2GiB":   "must be from 1MiB to 1GiB",
		"64MB":   "is not a size like 64MiB",
		"lots":   "is not a size like 64MiB",
		"-1MiB":  "is not a size like 64MiB",
		"[1, 2]": "must be a whole number",
	} {
		_, _, err := load(t, "storage: {type: local}\ngraph: {max_page_bytes: "+v+"}\ntenants:"+tenantYAML)
		if err == nil || !strings.Contains(err.Error(), "graph.max_page_bytes: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", v, err, want)
		}
	}
}

// TestSecurityCredentialsDirectory: *_file keys can name a credential that
// systemd hands the unit (LoadCredential=) as ${CREDENTIALS_DIRECTORY}/name,
// so secrets need not be in the service's environment; without the
// variable the key says how to run the check.
func TestSecurityCredentialsDirectory(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"contoso-client-secret": testSecret, "storage": "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sig=x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	yaml := `
storage: {azblob: {connection_string_file: $CREDENTIALS_DIRECTORY/storage}}
tenants:
  - name: contoso
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth:
      client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346
      client_secret_file: ${CREDENTIALS_DIRECTORY}/contoso-client-secret
`
	c := mustLoad(t, yaml, "CREDENTIALS_DIRECTORY="+dir)
	if s, err := c.Tenants[0].Auth.Secret(); err != nil || s != testSecret {
		t.Errorf("client secret from the credentials directory: %v", err)
	}
	if cs, err := c.Storage.Azblob.ResolveConnectionString(); err != nil || !strings.HasPrefix(cs, "BlobEndpoint=https://") {
		t.Errorf("connection string from the credentials directory: %v", err)
	}
	if want := filepath.Join(dir, "contoso-client-secret"); c.Tenants[0].Auth.ClientSecretFile != want {
		t.Errorf("client_secret_file %q, want %q", c.Tenants[0].Auth.ClientSecretFile, want)
	}
	_, _, err := load(t, yaml)
	if err == nil || !strings.Contains(err.Error(), "tenants[0].auth.client_secret_file: CREDENTIALS_DIRECTORY is not set: systemd sets it for a unit with LoadCredential=") {
		t.Fatalf("without CREDENTIALS_DIRECTORY: %v", err)
	}
}
