package config

import "testing"

// Variables that share the prefix without addressing a config section (a
// secret named by client_secret_env, test settings) must not be rejected as
// unknown keys.
func TestForeignPrefixedVariablesAreIgnored(t *testing.T) {
	yaml := `
storage: {type: local}
tenants:
  - name: contoso
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: ENTRA_ARCHIVER_CONTOSO_SECRET}
`
	c, _, err := load(t, yaml, "ENTRA_ARCHIVER_CONTOSO_SECRET=s3cr3t-value", "ENTRA_ARCHIVER_TEST_AZURITE=x", "ENTRA_ARCHIVER_LOG__LEVEL=debug")
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != "debug" {
		t.Fatalf("log.level %q", c.Log.Level)
	}
	if s, err := c.Tenants[0].Auth.Secret(); err != nil || s != "s3cr3t-value" {
		t.Fatalf("secret: %v", err)
	}
}
