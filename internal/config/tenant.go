package config

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/layout"
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// inheritance is what the tenants take from the defaults section, for the
// checks of defaults that matter only when some tenant uses them.
type inheritance struct {
	// filters are the streams whose defaults filter some tenant archives.
	filters map[string]bool
	// formats: some tenant archives in defaults.formats.
	formats bool
}

// tenants decodes the tenant list. It also returns what the tenants
// inherit from the defaults section.
func (d *decoder) tenants(path string, v any, defaults Settings) ([]Tenant, inheritance) {
	inherited := inheritance{filters: map[string]bool{}}
	if v == nil {
		d.addf(path, "at least one tenant is required")
		return nil, inherited
	}
	items, ok := d.list(path, v)
	if !ok {
		return nil, inherited
	}
	if len(items) == 0 {
		d.addf(path, "at least one tenant is required")
		return nil, inherited
	}
	var out []Tenant
	seen := map[string]int{}
	for i, item := range items {
		p := index(path, i)
		if item == nil {
			d.addf(p, "empty entry")
			continue
		}
		t, set := d.tenant(p, item, defaults)
		if set != nil && !set["filter"] {
			for name := range t.Settings.Filter {
				inherited.filters[name] = true
			}
		}
		if set != nil && !set["formats"] {
			inherited.formats = true
		}
		if t.Name != "" {
			if first, dup := seen[t.Name]; dup {
				d.addf(join(p, "name"), "duplicate of %s", index(path, first))
			} else {
				seen[t.Name] = i
			}
		}
		out = append(out, t)
	}
	return out, inherited
}

// tenant decodes one tenant over a copy of the defaults. It returns the
// settings keys the tenant sets itself (nil when it is not a mapping).
func (d *decoder) tenant(path string, v any, defaults Settings) (Tenant, map[string]bool) {
	t := Tenant{Cloud: "public", Settings: defaults.clone()}
	set := map[string]bool{}
	fields := d.settingsFields(&t.Settings, set)
	var authRaw any
	var graphEndpoint, authorityHost string
	given := map[string]bool{}
	str := func(key string, dst *string) fieldFunc {
		return func(p string, v any) {
			if s, ok := d.str(p, v); ok {
				*dst, given[key] = s, true
			}
		}
	}
	fields["name"] = str("name", &t.Name)
	fields["tenant_id"] = str("tenant_id", &t.TenantID)
	fields["cloud"] = func(p string, v any) {
		d.enum(p, v, &t.Cloud, "cloud", cloudNames...)
	}
	fields["auth"] = func(p string, v any) { authRaw = v }
	fields["graph_endpoint"] = str("graph_endpoint", &graphEndpoint)
	fields["authority_host"] = str("authority_host", &authorityHost)
	fields["disable_instance_discovery"] = func(p string, v any) {
		if b, ok := d.boolean(p, v); ok {
			t.DisableInstanceDiscovery = b
		}
	}
	if !d.object(path, v, fields) {
		return Tenant{}, nil
	}

	name := t.Name
	t.Name = ""
	switch {
	case !given["name"]:
		d.addf(join(path, "name"), "required")
	case !layout.ValidTenant(name):
		d.addf(join(path, "name"), "%q must be 1 to 63 characters of a-z, 0-9 and -", name)
	default:
		t.Name = name
	}
	switch {
	case !given["tenant_id"]:
		d.addf(join(path, "tenant_id"), "required")
	case !guidRE.MatchString(t.TenantID):
		d.addf(join(path, "tenant_id"), "%q is not a GUID (like 72f988bf-86f1-41af-91ab-2d7cd011db47)", t.TenantID)
	default:
		t.TenantID = strings.ToLower(t.TenantID)
	}

	endpoints := clouds[t.Cloud]
	t.GraphEndpoint, t.AuthorityHost = endpoints.GraphEndpoint, endpoints.AuthorityHost
	if given["graph_endpoint"] {
		p := join(path, "graph_endpoint")
		if err := checkGraphEndpoint(graphEndpoint); err != nil {
			d.addf(p, "%v", err)
		} else {
			t.GraphEndpoint = strings.TrimRight(graphEndpoint, "/")
		}
	}
	if given["authority_host"] {
		p := join(path, "authority_host")
		if err := checkEndpointURL(authorityHost); err != nil {
			d.addf(p, "%v", err)
		} else {
			t.AuthorityHost = strings.TrimSuffix(authorityHost, "/") + "/"
		}
	}

	authPath := join(path, "auth")
	if authRaw == nil {
		authRaw = map[string]any{}
	}
	t.Auth = d.graphAuth(authPath, authRaw)

	d.checkRecheck(path, t.Settings, set)
	d.checkFilterSelected(path, t.Settings, set["filter"])
	d.checkCloudStreams(join(path, "streams"), t)
	if set["formats"] {
		d.checkLossyFormats(join(path, "formats"), t.Settings.Formats)
	}
	return t, set
}

// checkFilterSelected handles filter keys for streams the tenant does not
// archive: an error when the tenant wrote the filter itself, silently dropped
// when it inherited the filter from defaults (which may serve other tenants).
func (d *decoder) checkFilterSelected(path string, s Settings, own bool) {
	for _, name := range slices.Sorted(maps.Keys(s.Filter)) {
		if s.selected(name) {
			continue
		}
		if own {
			d.addf(join(path, "filter."+name), "stream is not selected (streams: %s)", streamNames(s.Streams))
		}
		delete(s.Filter, name)
	}
}

// checkDefaults checks the defaults section as a whole, once all tenants are
// known: recheck against settle, filters for streams that neither
// defaults.streams nor any tenant inheriting the filter selects, and the
// formats when a tenant archives in them.
func (d *decoder) checkDefaults(s Settings, set map[string]bool, inherited inheritance) {
	d.checkRecheck("defaults", s, set)
	for _, name := range slices.Sorted(maps.Keys(s.Filter)) {
		if !s.selected(name) && !inherited.filters[name] {
			d.addf("defaults.filter."+name, "stream is not selected by defaults.streams or by any tenant")
		}
	}
	if inherited.formats {
		d.checkLossyFormats("defaults.formats", s.Formats)
	}
}

// checkLossyFormats warns about formats without jsonl or json: a csv part
// holds the documented columns, not the record Graph sent, and export needs
// the JSON for all but a csv in those columns.
func (d *decoder) checkLossyFormats(path string, formats []string) {
	if len(formats) == 0 || slices.Contains(formats, "jsonl") || slices.Contains(formats, "json") {
		return
	}
	d.warnf(path, "csv only is lossy: a csv part keeps the documented columns, not each record as Graph sent it "+
		"(properties Graph adds are lost), and export can write such parts only as csv in those columns, "+
		"not as jsonl or json, with --where or with --columns portal; add jsonl, the lossless format (formats: [jsonl, csv])")
}

// checkGraphEndpoint accepts a Graph root URL: https, no version segment, no
// query. A trailing slash is harmless and trimmed by the caller.
func checkGraphEndpoint(s string) error {
	if err := checkEndpointURL(s); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "v1.0" || seg == "beta" {
			return fmt.Errorf("%q must not include the API version (like https://graph.microsoft.com)", s)
		}
	}
	return nil
}

// checkEndpointURL accepts an absolute https URL without query or fragment;
// plain http only for a loopback host (a local simulator or emulator).
func checkEndpointURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") {
		return fmt.Errorf("%q is not an absolute URL like https://host", s)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%q must use https", s)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkListen accepts host:port with a numeric or named port.
func checkListen(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil || port == "" || strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q must be host:port (like 127.0.0.1:9464 or :9464)", s)
	}
	return nil
}
