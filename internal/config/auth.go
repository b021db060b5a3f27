package config

import (
	"errors"
	"github.com/entra-archiver/entra-archiver/internal/certfile"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// Auth methods.
const (
	MethodClientSecret      = "client-secret"
	MethodClientCertificate = "client-certificate"
	MethodManagedIdentity   = "managed-identity"
	MethodWorkloadIdentity  = "workload-identity"
	MethodAzureCLI          = "azure-cli"
	MethodDefault           = "default"
)

var methods = []string{MethodClientSecret, MethodClientCertificate, MethodManagedIdentity,
	MethodWorkloadIdentity, MethodAzureCLI, MethodDefault}

// ErrNoSecret is wrapped by every failure to produce a secret (unset or empty
// variable, unreadable or empty file, nothing configured). Its messages name
// the key, variable or file, never the value.
var ErrNoSecret = errors.New("secret not available")

// Auth is how the archiver authenticates to Entra (for a tenant's Graph
// access, or for storage.azblob.account_url). Secrets are referenced, not
// held: Secret and CertificatePasswordValue read them when asked.
type Auth struct {
	// Method is client-secret, client-certificate, managed-identity,
	// workload-identity, azure-cli or default. Unset, it is client-secret
	// when a client_secret* key is given and default otherwise.
	Method string
	// ClientID is the app registration (or user-assigned managed identity).
	ClientID string

	// One of these for client-secret; the inline form is warned about.
	ClientSecret, ClientSecretEnv, ClientSecretFile string

	// For client-certificate: a PEM or PKCS#12 file, and at most one of the
	// password keys.
	CertificateFile                                                      string
	CertificatePassword, CertificatePasswordEnv, CertificatePasswordFile string

	// TokenFile overrides AZURE_FEDERATED_TOKEN_FILE for workload-identity.
	TokenFile string

	// env is the environment Load was given; nil means the process's.
	env *envMap
}

// Secret returns the client secret from the variable, file or inline value
// configured. File contents are trimmed of surrounding whitespace.
func (a Auth) Secret() (string, error) {
	return a.env.secret(secretRef{"client_secret", a.ClientSecret, a.ClientSecretEnv, a.ClientSecretFile})
}

// CertificatePasswordValue returns the certificate password, or "" when none
// is configured.
func (a Auth) CertificatePasswordValue() (string, error) {
	ref := secretRef{"certificate_password", a.CertificatePassword, a.CertificatePasswordEnv, a.CertificatePasswordFile}
	if ref.empty() {
		return "", nil
	}
	return a.env.secret(ref)
}

// String describes the auth without any secret, so %v cannot leak one.
func (a Auth) String() string {
	var parts []string
	add := func(key, val string) {
		if val != "" {
			parts = append(parts, key+": "+val)
		}
	}
	add("method", a.Method)
	add("client_id", a.ClientID)
	add("client_secret", redact(a.ClientSecret))
	add("client_secret_env", a.ClientSecretEnv)
	add("client_secret_file", a.ClientSecretFile)
	add("certificate_file", a.CertificateFile)
	add("certificate_password", redact(a.CertificatePassword))
	add("certificate_password_env", a.CertificatePasswordEnv)
	add("certificate_password_file", a.CertificatePasswordFile)
	add("token_file", a.TokenFile)
	return "{" + strings.Join(parts, ", ") + "}"
}

// GoString is String, for %#v.
func (a Auth) GoString() string { return a.String() }

const redacted = "<redacted>"

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return redacted
}

// graphAuth decodes a tenant's Graph credential: with StorageOnly, checked
// for form but never resolved.
func (d *decoder) graphAuth(path string, v any) Auth {
	d.skipSecrets = d.storageOnly
	defer func() { d.skipSecrets = false }()
	return d.auth(path, v)
}

// auth decodes and checks an auth mapping (a tenant's or
// storage.azblob.auth).
func (d *decoder) auth(path string, v any) Auth {
	a := Auth{env: &d.env}
	given := map[string]bool{}
	str := func(key string, dst *string) fieldFunc {
		return func(p string, v any) {
			if s, ok := d.str(p, v); ok {
				if strings.HasSuffix(key, "_file") {
					s = d.credentialPath(p, s)
				}
				*dst, given[key] = s, true
			}
		}
	}
	d.object(path, v, map[string]fieldFunc{
		"method":                    func(p string, v any) { d.enum(p, v, &a.Method, "auth method", methods...) },
		"client_id":                 str("client_id", &a.ClientID),
		"client_secret":             str("client_secret", &a.ClientSecret),
		"client_secret_env":         str("client_secret_env", &a.ClientSecretEnv),
		"client_secret_file":        str("client_secret_file", &a.ClientSecretFile),
		"certificate_file":          str("certificate_file", &a.CertificateFile),
		"certificate_password":      str("certificate_password", &a.CertificatePassword),
		"certificate_password_env":  str("certificate_password_env", &a.CertificatePasswordEnv),
		"certificate_password_file": str("certificate_password_file", &a.CertificatePasswordFile),
		"token_file":                str("token_file", &a.TokenFile),
	})
	if a.Method == "" {
		a.Method = MethodDefault
		if given["client_secret"] || given["client_secret_env"] || given["client_secret_file"] {
			a.Method = MethodClientSecret
		}
	}

	if a.Method == MethodDefault && given["client_id"] {
		d.warnf(join(path, "client_id"), "ignored by method default (azidentity's chain takes a client id only from AZURE_CLIENT_ID); use managed-identity or workload-identity to choose an identity")
	}

	// Keys that belong to another method are mistakes, not harmless extras.
	owners := map[string]string{
		"client_secret": MethodClientSecret, "client_secret_env": MethodClientSecret, "client_secret_file": MethodClientSecret,
		"certificate_file": MethodClientCertificate, "certificate_password": MethodClientCertificate,
		"certificate_password_env": MethodClientCertificate, "certificate_password_file": MethodClientCertificate,
		"token_file": MethodWorkloadIdentity,
	}
	for _, key := range slices.Sorted(maps.Keys(owners)) {
		if given[key] && owners[key] != a.Method {
			d.addf(join(path, key), "only used with auth method %s (method is %s)", owners[key], a.Method)
		}
	}

	switch {
	case given["client_id"] && !guidRE.MatchString(a.ClientID):
		d.addf(join(path, "client_id"), "%q is not a GUID (the application or client ID)", a.ClientID)
	case given["client_id"]:
	case a.Method == MethodClientSecret || a.Method == MethodClientCertificate:
		d.addf(join(path, "client_id"), "required for auth method %s", a.Method)
	case a.Method == MethodWorkloadIdentity && !d.envSet("AZURE_CLIENT_ID"):
		d.addf(join(path, "client_id"), "required for auth method %s (or set AZURE_CLIENT_ID)", a.Method)
	}

	switch {
	case a.Method == MethodClientSecret:
		d.checkSecret(path, secretRef{"client_secret", a.ClientSecret, a.ClientSecretEnv, a.ClientSecretFile}, given, true)
	case d.skipSecrets:
		// Certificates and token files are read only by commands that
		// talk to Graph.
	case a.Method == MethodClientCertificate:
		before := len(d.problems)
		d.checkReadable(join(path, "certificate_file"), a.CertificateFile, given["certificate_file"], "required for auth method client-certificate")
		pwRef := secretRef{"certificate_password", a.CertificatePassword, a.CertificatePasswordEnv, a.CertificatePasswordFile}
		d.checkSecret(path, pwRef, given, false)
		if len(d.problems) == before {
			d.checkCertificate(path, a.CertificateFile, pwRef)
		}
	case a.Method == MethodWorkloadIdentity:
		if given["token_file"] || !d.envSet("AZURE_FEDERATED_TOKEN_FILE") {
			d.checkReadable(join(path, "token_file"), a.TokenFile, given["token_file"], "required for auth method workload-identity (or set AZURE_FEDERATED_TOKEN_FILE)")
		}
	}
	return a
}

// checkCertificate checks that the certificate file holds a certificate and
// private key the credential can use, with the password configured.
func (d *decoder) checkCertificate(path, file string, pwRef secretRef) {
	password := ""
	if !pwRef.empty() {
		var err error
		if password, err = d.env.secret(pwRef); err != nil {
			return // reported by checkSecret
		}
	}
	_, _, err := certfile.Load(file, password)
	switch {
	case errors.Is(err, certfile.ErrWrongPassword) && pwRef.empty():
		d.addf(join(path, "certificate_file"), "%s is a password-protected PKCS#12 (PFX) file: set certificate_password_env or certificate_password_file", file)
	case errors.Is(err, certfile.ErrWrongPassword):
		d.addf(join(path, "certificate_password_env"), "is not the password of %s", file)
	case err != nil:
		d.addf(join(path, "certificate_file"), "%v; want PEM (the certificate and its unencrypted private key) or PKCS#12 (PFX)", err)
	}
}

// checkReadable checks that a file is configured and can be read.
func (d *decoder) checkReadable(path, name string, given bool, missing string) {
	switch {
	case !given:
		d.addf(path, "%s", missing)
	case name == "":
		d.addf(path, "must name a file")
	default:
		if err := checkRegular(name); err != nil {
			d.addf(path, "%s", fileProblem(err))
			return
		}
		f, err := os.Open(name)
		if err != nil {
			d.addf(path, "%s", fileProblem(err))
			return
		}
		defer f.Close()
		if _, err := f.Read(make([]byte, 1)); errors.Is(err, io.EOF) {
			d.addf(path, "%s is empty", name)
		} else if err != nil {
			d.addf(path, "cannot read %s: %v", name, err)
		}
	}
}

// envSet reports whether a variable is set and non-empty in Load's
// environment.
func (d *decoder) envSet(name string) bool { return d.env[name] != "" }
