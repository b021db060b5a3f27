package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Redacted dumps the effective configuration as YAML, every tenant with its
// resolved settings, and every inline secret replaced by "<redacted>".
// Variable and file names of secrets are shown; they are not secrets.
func (c *Config) Redacted() string {
	w := &yamlWriter{}
	w.line(0, "log:")
	w.kv(1, "level", c.Log.Level)
	w.kv(1, "format", c.Log.Format)
	w.line(0, "http:")
	w.kv(1, "listen", c.HTTP.Listen)
	w.line(0, "graph:")
	w.rateLimit(1, "app_rate_limit", c.Graph.AppRateLimit)
	w.raw(1, "request_timeout", FormatDuration(c.Graph.RequestTimeout))
	w.raw(1, "max_page_bytes", strconv.FormatInt(c.Graph.MaxPageBytes, 10))

	w.line(0, "storage:")
	w.kv(1, "type", c.Storage.Type)
	w.line(1, "local:")
	w.kv(2, "path", c.Storage.Local.Path)
	az := c.Storage.Azblob
	w.line(1, "azblob:")
	w.opt(2, "account_url", az.AccountURL)
	w.opt(2, "connection_string_env", az.ConnectionStringEnv)
	w.opt(2, "connection_string_file", az.ConnectionStringFile)
	w.opt(2, "connection_string", redact(az.ConnectionString))
	w.kv(2, "container", az.Container)
	w.kv(2, "prefix", az.Prefix)
	w.kv(2, "access_tier", az.AccessTier)
	w.opt(2, "tenant_id", az.TenantID)
	if az.AllowInsecureHTTP {
		w.raw(2, "allow_insecure_http", "true")
	}
	if az.Auth != nil {
		w.auth(2, *az.Auth)
	}

	w.line(0, "state:")
	w.kv(1, "type", c.State.Type)
	w.opt(1, "path", c.State.Path)
	w.opt(1, "container", c.State.Container)
	w.opt(1, "connection_string_env", c.State.ConnectionStringEnv)
	w.opt(1, "connection_string_file", c.State.ConnectionStringFile)
	w.opt(1, "connection_string", redact(c.State.ConnectionString))

	w.line(0, "defaults:")
	w.settings(1, c.Defaults)

	w.line(0, "tenants:")
	for _, t := range c.Tenants {
		w.line(1, "- name: "+quote(t.Name))
		w.kv(2, "tenant_id", t.TenantID)
		w.kv(2, "cloud", t.Cloud)
		w.kv(2, "graph_endpoint", t.GraphEndpoint)
		w.kv(2, "authority_host", t.AuthorityHost)
		w.raw(2, "disable_instance_discovery", strconv.FormatBool(t.DisableInstanceDiscovery))
		w.auth(2, t.Auth)
		w.settings(2, t.Settings)
	}
	return w.b.String()
}

type yamlWriter struct{ b strings.Builder }

func (w *yamlWriter) line(depth int, s string) {
	w.b.WriteString(strings.Repeat("  ", depth))
	w.b.WriteString(s)
	w.b.WriteByte('\n')
}

// kv writes a string value, quoted.
func (w *yamlWriter) kv(depth int, key, val string) { w.line(depth, key+": "+quote(val)) }

// opt writes a string value unless it is empty.
func (w *yamlWriter) opt(depth int, key, val string) {
	if val != "" {
		w.kv(depth, key, val)
	}
}

// raw writes a value that needs no quoting (numbers, booleans, durations).
func (w *yamlWriter) raw(depth int, key, val string) { w.line(depth, key+": "+val) }

func (w *yamlWriter) rateLimit(depth int, key string, r RateLimit) {
	w.line(depth, fmt.Sprintf("%s: {requests: %d, per: %s}", key, r.Requests, FormatDuration(r.Per)))
}

func (w *yamlWriter) auth(depth int, a Auth) {
	w.line(depth, "auth:")
	d := depth + 1
	w.kv(d, "method", a.Method)
	w.opt(d, "client_id", a.ClientID)
	w.opt(d, "client_secret", redact(a.ClientSecret))
	w.opt(d, "client_secret_env", a.ClientSecretEnv)
	w.opt(d, "client_secret_file", a.ClientSecretFile)
	w.opt(d, "certificate_file", a.CertificateFile)
	w.opt(d, "certificate_password", redact(a.CertificatePassword))
	w.opt(d, "certificate_password_env", a.CertificatePasswordEnv)
	w.opt(d, "certificate_password_file", a.CertificatePasswordFile)
	w.opt(d, "token_file", a.TokenFile)
}

func (w *yamlWriter) settings(depth int, s Settings) {
	streams := make([]string, len(s.Streams))
	for i, st := range s.Streams {
		streams[i] = st.Name
	}
	recheck := make([]string, len(s.Recheck))
	for i, r := range s.Recheck {
		recheck[i] = FormatDuration(r)
	}
	w.kv(depth, "schedule", s.Schedule)
	w.raw(depth, "streams", "["+strings.Join(streams, ", ")+"]")
	w.raw(depth, "formats", "["+strings.Join(s.Formats, ", ")+"]")
	w.kv(depth, "compression", s.Compression)
	w.kv(depth, "partition", s.Partition.String())
	w.raw(depth, "settle", FormatDuration(s.Settle))
	w.raw(depth, "recheck", "["+strings.Join(recheck, ", ")+"]")
	w.kv(depth, "start", s.Start.String())
	w.raw(depth, "retention_warning", FormatDuration(s.RetentionWarning))
	w.rateLimit(depth, "rate_limit", s.RateLimit)
	if len(s.Filter) == 0 {
		w.raw(depth, "filter", "{}")
		return
	}
	w.line(depth, "filter:")
	for _, name := range slices.Sorted(maps.Keys(s.Filter)) {
		w.kv(depth+1, name, s.Filter[name])
	}
}

// quote writes s as a YAML double-quoted scalar. strconv's escapes are a
// subset of YAML's, so the output reads back as the same string.
func quote(s string) string { return strconv.Quote(s) }
