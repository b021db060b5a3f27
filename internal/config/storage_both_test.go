package config

import (
	"strings"
	"testing"
)

// DESIGN.md's example shows account_url and connection_string_env side by
// side; a config copied from it must work: the connection string when it can
// be read, account_url otherwise, with a warning either way.
func TestAzblobAccountURLAndConnectionStringTogether(t *testing.T) {
	yaml := `
storage:
  azblob:
    account_url: https://acct.blob.core.windows.net
    connection_string_env: CONN
tenants:` + tenantYAML
	c, warnings, err := load(t, yaml, "CONN=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;")
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.Azblob.AccountURL != "" || c.Storage.Azblob.ConnectionStringEnv != "CONN" {
		t.Fatalf("with CONN set the connection string must be used: %v", c.Storage.Azblob)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "storage.azblob.account_url: ignored") {
		t.Fatalf("warnings %q", warnings)
	}

	c, warnings, err = load(t, yaml)
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage.Azblob.AccountURL == "" || c.Storage.Azblob.ConnectionStringEnv != "" {
		t.Fatalf("without CONN account_url must be used: %v", c.Storage.Azblob)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "storage.azblob.connection_string_env: ignored (") {
		t.Fatalf("warnings %q", warnings)
	}
}
