package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Storage chooses and configures the archive's sink.
type Storage struct {
	Type   string // azblob | local
	Local  LocalStorage
	Azblob Azblob
}

// LocalStorage is a folder on disk.
type LocalStorage struct {
	Path string
}

// Azblob is an Azure Blob Storage container, reached either through
// AccountURL with an Entra credential (Auth) or through a connection string
// (given by exactly one of the ConnectionString* keys).
type Azblob struct {
	AccountURL string
	Container  string
	Prefix     string // "" or ending in "/"
	AccessTier string // "" (account default), Hot, Cool, Cold or Archive

	ConnectionStringEnv, ConnectionStringFile, ConnectionString string
	// AllowInsecureHTTP lets a connection string reach storage in plain
	// http beyond this machine (key allow_insecure_http; warned about).
	AllowInsecureHTTP bool

	// Auth is set when AccountURL is: the credential for the storage
	// account (method default unless configured).
	Auth *Auth
	// TenantID is the storage account's Entra tenant, needed by auth methods
	// that sign in as an app (client-secret, client-certificate,
	// workload-identity). Key storage.azblob.tenant_id.
	TenantID string

	env *envMap
}

// ResolveConnectionString returns the connection string from the variable,
// file or inline value configured. Its errors name the key, never the value.
func (a Azblob) ResolveConnectionString() (string, error) {
	cs, err := a.env.secret(secretRef{"connection_string", a.ConnectionString, a.ConnectionStringEnv, a.ConnectionStringFile})
	if err != nil {
		return "", err
	}
	if err := checkClearText(cs, a.AllowInsecureHTTP); err != nil {
		return "", fmt.Errorf("storage.azblob: %w", err)
	}
	return cs, nil
}

// String describes the container without the connection string.
func (a Azblob) String() string {
	var parts []string
	add := func(key, val string) {
		if val != "" {
			parts = append(parts, key+": "+val)
		}
	}
	add("account_url", a.AccountURL)
	add("connection_string_env", a.ConnectionStringEnv)
	add("connection_string_file", a.ConnectionStringFile)
	add("connection_string", redact(a.ConnectionString))
	add("container", a.Container)
	add("prefix", a.Prefix)
	add("access_tier", a.AccessTier)
	add("tenant_id", a.TenantID)
	if a.AllowInsecureHTTP {
		add("allow_insecure_http", "true")
	}
	if a.Auth != nil {
		add("auth", a.Auth.String())
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// GoString is String, for %#v.
func (a Azblob) GoString() string { return a.String() }

// containerRE is Azure's container naming rule (3-63 characters, lower-case
// letters, digits and single hyphens, starting and ending with a letter or
// digit).
var containerRE = regexp.MustCompile(`^[a-z0-9](?:-?[a-z0-9])+$`)

func (d *decoder) storage(path string, v any, s *Storage) {
	var azRaw any
	typeOK := true
	d.object(path, v, map[string]fieldFunc{
		"type": func(p string, v any) { typeOK = d.enum(p, v, &s.Type, "storage type", "azblob", "local") },
		"local": func(p string, v any) {
			d.object(p, v, map[string]fieldFunc{
				"path": func(p string, v any) {
					if str, ok := d.str(p, v); ok {
						if str == "" {
							d.addf(p, "must not be empty")
							return
						}
						s.Local.Path = str
					}
				},
			})
		},
		"azblob": func(p string, v any) { azRaw = v },
	})
	if azRaw == nil {
		azRaw = map[string]any{}
	}
	// With an unknown type there is no telling which sink was meant.
	d.azblob(join(path, "azblob"), azRaw, &s.Azblob, typeOK && s.Type == "azblob")
}

// containerName decodes an Azure container name.
func (d *decoder) containerName(path string, v any, dst *string) {
	if s, ok := d.str(path, v); ok {
		if len(s) < 3 || len(s) > 63 || !containerRE.MatchString(s) {
			d.addf(path, "%q is not a valid container name (3 to 63 characters of a-z, 0-9 and single hyphens)", s)
			return
		}
		*dst = s
	}
}

// azblob decodes storage.azblob; the connection checks run only when the
// azblob sink is the one in use (used).
func (d *decoder) azblob(path string, v any, a *Azblob, used bool) {
	a.env = &d.env
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
	var authRaw any
	d.object(path, v, map[string]fieldFunc{
		"account_url":            str("account_url", &a.AccountURL),
		"connection_string_env":  str("connection_string_env", &a.ConnectionStringEnv),
		"connection_string_file": str("connection_string_file", &a.ConnectionStringFile),
		"connection_string":      str("connection_string", &a.ConnectionString),
		"container":              func(p string, v any) { d.containerName(p, v, &a.Container) },
		"prefix": func(p string, v any) {
			if s, ok := d.str(p, v); ok {
				if s != "" && (!strings.HasSuffix(s, "/") || strings.HasPrefix(s, "/")) {
					d.addf(p, "%q must be empty or end with / (and not start with one), like archive/", s)
					return
				}
				a.Prefix = s
			}
		},
		"access_tier": func(p string, v any) {
			if s, ok := d.str(p, v); ok && s != "" {
				d.enum(p, s, &a.AccessTier, "access tier", "Hot", "Cool", "Cold", "Archive")
			}
		},
		"tenant_id": str("tenant_id", &a.TenantID),
		"auth":      func(p string, v any) { authRaw = v },
		"allow_insecure_http": func(p string, v any) {
			if b, ok := d.boolean(p, v); ok {
				a.AllowInsecureHTTP = b
			}
		},
	})
	if !used {
		return
	}

	sources := []string{"account_url", "connection_string_env", "connection_string_file", "connection_string"}
	var set []string
	for _, k := range sources {
		if given[k] {
			set = append(set, k)
		}
	}
	// DESIGN.md's example lists account_url and connection_string_env side
	// by side ("or this"): with both, the connection string wins when it can
	// be read (Azurite, key, SAS), else account_url, and the choice is warned.
	if len(set) == 2 && set[0] == "account_url" {
		ref := secretRef{"connection_string", a.ConnectionString, a.ConnectionStringEnv, a.ConnectionStringFile}
		if _, err := d.env.secret(ref); err == nil {
			d.warnf(join(path, "account_url"), "ignored: %s is also set and is used (set only one)", set[1])
			a.AccountURL, set = "", set[1:]
		} else {
			d.warnf(join(path, set[1]), "ignored (%v); using account_url (set only one)", err)
			a.ConnectionString, a.ConnectionStringEnv, a.ConnectionStringFile = "", "", ""
			delete(given, set[1])
			set = set[:1]
		}
	}
	switch {
	case len(set) == 0:
		d.addf(join(path, "account_url"), "required (or connection_string_env, connection_string_file or connection_string)")
		return
	case len(set) > 1:
		d.addf(join(path, set[1]), "conflicts with %s (set only one of %s)", set[0], strings.Join(sources, ", "))
		return
	}

	if set[0] != "account_url" {
		ref := secretRef{"connection_string", a.ConnectionString, a.ConnectionStringEnv, a.ConnectionStringFile}
		before := len(d.problems)
		d.checkSecret(path, ref, given, true)
		if len(d.problems) == before {
			if cs, err := d.env.secret(ref); err == nil {
				if err := checkConnectionString(cs); err != nil {
					d.addf(join(path, set[0]), "%v", err)
				} else if err := checkClearText(cs, a.AllowInsecureHTTP); err != nil {
					d.addf(join(path, set[0]), "%v", err)
				} else if checkClearText(cs, false) != nil {
					d.warnf(join(path, "allow_insecure_http"), "plain http to a storage endpoint beyond this machine is allowed: "+
						"the key's signatures or the SAS and the archive's personal data cross the network unencrypted; use https")
				}
			}
		}
		if authRaw != nil {
			d.addf(join(path, "auth"), "only used with account_url")
		}
		if given["tenant_id"] {
			d.addf(join(path, "tenant_id"), "only used with account_url")
		}
		return
	}
	if err := checkEndpointURL(a.AccountURL); err != nil {
		d.addf(join(path, "account_url"), "%v", err)
	}
	if a.AllowInsecureHTTP {
		d.addf(join(path, "allow_insecure_http"), "only used with a connection string: account_url signs in with an Entra token, which never travels in plain http")
	}
	if authRaw == nil {
		authRaw = map[string]any{}
	}
	auth := d.auth(join(path, "auth"), authRaw)
	a.Auth = &auth
	tenantPath := join(path, "tenant_id")
	switch {
	case given["tenant_id"] && !guidRE.MatchString(a.TenantID):
		d.addf(tenantPath, "%q is not a GUID", a.TenantID)
	case given["tenant_id"]:
		a.TenantID = strings.ToLower(a.TenantID)
	case auth.Method == MethodClientSecret || auth.Method == MethodClientCertificate:
		d.addf(tenantPath, "required for auth method %s", auth.Method)
	case auth.Method == MethodWorkloadIdentity && !d.envSet("AZURE_TENANT_ID"):
		d.addf(tenantPath, "required for auth method %s (or set AZURE_TENANT_ID)", auth.Method)
	}
}

// checkConnectionString applies the rules the Azure SDK applies when it
// opens a connection string (semicolon-separated key=value pairs; AccountName
// or BlobEndpoint; AccountKey with AccountName, or SharedAccessSignature), so
// config check catches what every command would refuse. Its messages name
// keys of the string, never values.
func checkConnectionString(cs string) error {
	if strings.HasPrefix(strings.TrimSpace(cs), "UseDevelopmentStorage=") {
		return errors.New("UseDevelopmentStorage=true is not understood by the Azure SDK for Go: give Azurite's full connection string (README, Storage access)")
	}
	fields := map[string]string{}
	for i, part := range strings.Split(strings.TrimRight(strings.TrimSpace(cs), ";"), ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return fmt.Errorf("the connection string is malformed: part %d is not Key=Value (copy it again from the storage account's Access keys or SAS page)", i+1)
		}
		fields[k] = v
	}
	_, hasName := fields["AccountName"]
	endpoint, hasEndpoint := fields["BlobEndpoint"]
	key, hasKey := fields["AccountKey"]
	_, hasSAS := fields["SharedAccessSignature"]
	switch {
	case !hasName && !hasEndpoint:
		return errors.New("the connection string needs AccountName or BlobEndpoint")
	case hasName && hasKey:
		if _, err := base64.StdEncoding.DecodeString(key); err != nil {
			return errors.New("the connection string's AccountKey is not base64 (copy it again from the storage account's Access keys)")
		}
	case !hasSAS:
		return errors.New("the connection string needs AccountKey (with AccountName) or SharedAccessSignature")
	}
	if hasEndpoint {
		if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return errors.New("the connection string's BlobEndpoint is not an http(s) URL with a host")
		}
	}
	return nil
}
