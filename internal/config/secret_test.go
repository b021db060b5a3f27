package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/certfile/certfiletest"
)

func TestSecretResolution(t *testing.T) {
	file := writeFile(t, "secret", "  "+testSecret+"\r\n")
	c := mustLoad(t, header+`
  - name: env
    tenant_id: `+guid1+`
    auth: {client_id: `+guid2+`, client_secret_env: CONTOSO_SECRET}
  - name: file
    tenant_id: `+guid1+`
    auth: {client_id: `+guid2+`, client_secret_file: `+file+`}
  - name: inline
    tenant_id: `+guid1+`
    auth: {client_id: `+guid2+`, client_secret: "`+testSecret+`"}
`)
	for _, tn := range c.Tenants {
		got, err := tn.Auth.Secret()
		if err != nil || got != testSecret {
			t.Errorf("%s: Secret() = %q, %v; want %q", tn.Name, got, err, testSecret)
		}
	}
}

// TestSecretUsesLoadEnvironment checks that Secret reads the environment
// given to Load, not the process's, and reads files when asked (so a rotated
// secret file is picked up).
func TestSecretUsesLoadEnvironment(t *testing.T) {
	t.Setenv("CONTOSO_SECRET", "from-process")
	file := writeFile(t, "secret", "first")
	c := mustLoad(t, header+tenantYAML+`
  - name: file
    tenant_id: `+guid1+`
    auth: {client_id: `+guid2+`, client_secret_file: `+file+`}
`)
	if got, _ := c.Tenants[0].Auth.Secret(); got != testSecret {
		t.Errorf("Secret() = %q, want the value from Load's environment", got)
	}
	if err := os.WriteFile(file, []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Tenants[1].Auth.Secret(); got != "second" {
		t.Errorf("Secret() after rotation = %q, want second", got)
	}
	// An Auth built by hand reads the process environment.
	if got, _ := (Auth{ClientSecretEnv: "CONTOSO_SECRET"}).Secret(); got != "from-process" {
		t.Errorf("hand-built Auth Secret() = %q, want from-process", got)
	}
}

func TestSecretErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	empty := writeFile(t, "empty", "\n")
	env := envMap{"EMPTY": ""}
	tests := []struct {
		auth Auth
		want string
	}{
		{Auth{ClientSecretEnv: "UNSET"}, "secret not available: client_secret_env: environment variable UNSET is not set"},
		{Auth{ClientSecretEnv: "EMPTY"}, "secret not available: client_secret_env: environment variable EMPTY is empty"},
		{Auth{ClientSecretEnv: testSecret}, "secret not available: client_secret_env: must name an environment variable (letters, digits and _), not hold the value"},
		{Auth{ClientSecretFile: missing}, "secret not available: client_secret_file: cannot read " + missing + ": no such file or directory"},
		{Auth{ClientSecretFile: empty}, "secret not available: client_secret_file: " + empty + " is empty"},
		{Auth{}, "secret not available: client_secret: none of client_secret_env, client_secret_file or client_secret is set"},
	}
	for _, tt := range tests {
		tt.auth.env = &env
		_, err := tt.auth.Secret()
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrNoSecret) {
			t.Errorf("%v: Secret() error %v, want %q wrapping ErrNoSecret", tt.auth, err, tt.want)
		}
	}
}

// certPEM writes a real certificate and key, since Load reads the file.
func certPEM(t *testing.T) string {
	t.Helper()
	cert, key := certfiletest.New(t, "config test")
	return writeFile(t, "c.pem", string(certfiletest.PEM(t, cert, key)))
}

func TestCertificatePassword(t *testing.T) {
	cert := certPEM(t)
	pw := writeFile(t, "pw", "file-password\n")
	tests := []struct {
		keys string
		want string
	}{
		{"", ""},
		{"certificate_password_env: CERT_PW", "env-password"},
		{"certificate_password_file: " + pw, "file-password"},
		{"certificate_password: inline-password", "inline-password"},
	}
	for _, tt := range tests {
		auth := "{method: client-certificate, client_id: " + guid2 + ", certificate_file: " + cert
		if tt.keys != "" {
			auth += ", " + tt.keys
		}
		c := mustLoad(t, header+"  - {name: a, tenant_id: "+guid1+", auth: "+auth+"}}\n", "CERT_PW=env-password")
		got, err := c.Tenants[0].Auth.CertificatePasswordValue()
		if err != nil || got != tt.want {
			t.Errorf("%s: CertificatePasswordValue() = %q, %v; want %q", tt.keys, got, err, tt.want)
		}
		if c.Tenants[0].Auth.CertificateFile != cert {
			t.Errorf("CertificateFile = %q", c.Tenants[0].Auth.CertificateFile)
		}
	}
}

func TestResolveConnectionString(t *testing.T) {
	const conn = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
	file := writeFile(t, "conn", conn+"\n")
	for _, key := range []string{
		"connection_string_env: CONN",
		"connection_string_file: " + file,
		`connection_string: "` + conn + `"`,
	} {
		c := mustLoad(t, "storage: {azblob: {"+key+"}}\ntenants:"+tenantYAML, "CONN="+conn)
		got, err := c.Storage.Azblob.ResolveConnectionString()
		if err != nil || got != conn {
			t.Errorf("%s: ResolveConnectionString() = %q, %v", key, got, err)
		}
		if c.Storage.Azblob.Auth != nil {
			t.Errorf("%s: Auth set for a connection string", key)
		}
	}
	_, err := (Azblob{ConnectionStringEnv: "UNSET_CONN_FOR_TEST"}).ResolveConnectionString()
	if !errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), "connection_string_env") {
		t.Errorf("ResolveConnectionString() error = %v", err)
	}
}

// TestSecretsNeverShown loads configurations holding known secrets (valid
// and invalid ones, including a secret pasted where a variable name belongs)
// and checks that no error, warning, Redacted dump or %v rendering contains
// them.
func TestSecretsNeverShown(t *testing.T) {
	const (
		clientSecret = "Zq8~clientSECRET.value-1"
		certPassword = "Cert~PASSWORD.value-2"
		connKey      = "QWNjb3VudEtleVNFQ1JFVA=="
	)
	conn := "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + connKey + ";"
	secrets := []string{clientSecret, certPassword, connKey}
	cert := certPEM(t)
	configs := map[string]string{
		"valid": `
storage: {azblob: {connection_string: "` + conn + `"}}
tenants:
  - name: a
    tenant_id: ` + guid1 + `
    auth: {client_id: ` + guid2 + `, client_secret: "` + clientSecret + `"}
  - name: b
    tenant_id: ` + guid1 + `
    auth: {method: client-certificate, client_id: ` + guid2 + `, certificate_file: ` + cert + `, certificate_password: "` + certPassword + `"}
`,
		"invalid": `
log: {level: nope}
storage: {azblob: {connection_string: "` + conn + `", account_url: https://acct.blob.core.windows.net}}
tenants:
  - name: a
    tenant_id: ` + guid1 + `
    auth: {client_id: ` + guid2 + `, client_secret: "` + clientSecret + `", client_secret_env: "` + clientSecret + `"}
  - name: b
    tenant_id: ` + guid1 + `
    auth: {method: managed-identity, certificate_password: "` + certPassword + `"}
  - name: c
    tenant_id: ` + guid1 + `
    auth: {client_id: ` + guid2 + `, client_secret_env: "` + clientSecret + `"}
  - name: d
    tenant_id: ` + guid1 + `
    auth: {method: client-certificate, client_id: ` + guid2 + `, certificate_file: ` + cert + `, certificate_password_env: "` + certPassword + `"}
`,
	}
	for name, yaml := range configs {
		c, warnings, err := load(t, yaml, "SOME_VAR="+clientSecret)
		shown := strings.Join(warnings, "\n")
		if err != nil {
			shown += "\n" + err.Error()
		}
		if c != nil {
			shown += "\n" + c.Redacted() + fmt.Sprintf("\n%v\n%+v\n%#v", c, c, c)
			for _, tn := range c.Tenants {
				shown += fmt.Sprintf("\n%v %+v %#v %s", tn, tn, tn.Auth, tn.Auth)
			}
			shown += fmt.Sprintf("\n%v %+v %#v", c.Storage, c.Storage.Azblob, c.Storage.Azblob)
		}
		for _, s := range secrets {
			if strings.Contains(shown, s) {
				t.Errorf("%s: output contains secret %q:\n%s", name, s, shown)
			}
		}
		if name == "valid" && (c == nil || !strings.Contains(c.Redacted(), redacted)) {
			t.Errorf("valid: Redacted() shows no %s:\n%v", redacted, err)
		}
		if name == "invalid" && err == nil {
			t.Error("invalid config loaded")
		}
	}
}

// TestConnectionStringChecked: a connection string the Azure SDK would
// refuse is a configuration error naming the key, never the value.
func TestConnectionStringChecked(t *testing.T) {
	const key = "S2V5U0VDUkVUdmFsdWU="
	for _, tc := range []struct{ conn, want string }{
		{"AccountName=acct;AccountKey=" + key + ";BadPart", "part 3 is not Key=Value"},
		{"AccountName=acct;AccountKey=not~base64!", "AccountKey is not base64"},
		{"AccountName=acct;EndpointSuffix=core.windows.net", "needs AccountKey (with AccountName) or SharedAccessSignature"},
		{"DefaultEndpointsProtocol=https;AccountKey=" + key, "needs AccountName or BlobEndpoint"},
		{"UseDevelopmentStorage=true", "give Azurite's full connection string"},
		{"BlobEndpoint=::no url::;SharedAccessSignature=sv=2026&sig=SIGsecret", "BlobEndpoint is not an http(s) URL"},
	} {
		_, _, err := load(t, "storage: {azblob: {connection_string_env: CONN}}\ntenants:"+tenantYAML, "CONN="+tc.conn)
		got := problemsOf(t, err)
		if len(got) != 1 || got[0].Path != "storage.azblob.connection_string_env" || !strings.Contains(got[0].Message, tc.want) {
			t.Errorf("%q: problems %v, want one on storage.azblob.connection_string_env saying %q", tc.conn, got, tc.want)
		}
		for _, secret := range []string{key, "not~base64!", "SIGsecret"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%q: the error shows a secret: %v", tc.conn, err)
			}
		}
	}
	for _, ok := range []string{
		"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + key + ";EndpointSuffix=core.windows.net",
		"BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2026&sig=x",
		"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + key + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
	} {
		if _, _, err := load(t, "storage: {azblob: {connection_string_env: CONN}}\ntenants:"+tenantYAML, "CONN="+ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// TestCertificateFileChecked: config check reads the certificate file the
// way the credential will, so a file that is not a certificate, or a PFX
// without its password, is a configuration error, not a failure at run time.
func TestCertificateFileChecked(t *testing.T) {
	cert, key := certfiletest.New(t, "config test")
	pfx := writeFile(t, "c.pfx", string(certfiletest.PFX(t, nil, cert, key, "right-Password1")))
	notCert := writeFile(t, "c.txt", "this is not a certificate\n")
	auth := func(file, extra string) string {
		return header + "  - {name: a, tenant_id: " + guid1 + ", auth: {method: client-certificate, client_id: " + guid2 +
			", certificate_file: " + file + extra + "}}\n"
	}
	for _, tc := range []struct{ yaml, path, want string }{
		{auth(notCert, ""), "tenants[0].auth.certificate_file", "is neither PEM (-----BEGIN CERTIFICATE-----) nor PKCS#12 (PFX)"},
		{auth(pfx, ""), "tenants[0].auth.certificate_file", "is a password-protected PKCS#12 (PFX) file: set certificate_password_env"},
		{auth(pfx, ", certificate_password_env: PFX_PW"), "tenants[0].auth.certificate_password_env", "is not the password of " + pfx},
	} {
		_, _, err := load(t, tc.yaml, "PFX_PW=wrong-Password2")
		got := problemsOf(t, err)
		if len(got) != 1 || got[0].Path != tc.path || !strings.Contains(got[0].Message, tc.want) {
			t.Errorf("problems %v, want one on %s saying %q", got, tc.path, tc.want)
		}
		if strings.Contains(err.Error(), "Password") {
			t.Errorf("the error shows a password: %v", err)
		}
	}
	mustLoad(t, auth(pfx, ", certificate_password_env: PFX_PW"), "PFX_PW=right-Password1")
	mustLoad(t, auth(certPEM(t), ""))
}
