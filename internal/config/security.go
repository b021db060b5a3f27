package config

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// The keys that bound what a hostile endpoint can do (issue 15):
// graph.max_page_bytes and storage.azblob.allow_insecure_http.

// Bounds of graph.max_page_bytes: a page of 1,000 records is a few MiB, and
// a page is held in memory while it is parsed.
const (
	DefaultMaxPageBytes = 64 << 20
	minMaxPageBytes     = 1 << 20
	maxMaxPageBytes     = 1 << 30
)

// byteSize decodes a size: a whole number of bytes, or a number with a
// binary unit (64MiB, 512 KiB, 1GiB).
func (d *decoder) byteSize(path string, v any) (int64, bool) {
	if s, ok := v.(string); ok {
		n, err := parseByteSize(s)
		if err != nil {
			d.addf(path, "%v", err)
			return 0, false
		}
		return n, true
	}
	n, ok := d.integer(path, v)
	return int64(n), ok
}

func parseByteSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRight(s, "KMGiBb ")
	unit := strings.TrimSpace(s[len(num):])
	mult := map[string]int64{"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[unit]
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || mult == 0 || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a size like 64MiB, 512KiB or a number of bytes", s)
	}
	return n * mult, nil
}

// maxPageBytes decodes graph.max_page_bytes.
func (d *decoder) maxPageBytes(path string, v any, g *Graph) {
	n, ok := d.byteSize(path, v)
	if !ok {
		return
	}
	if n < minMaxPageBytes || n > maxMaxPageBytes {
		d.addf(path, "must be from 1MiB to 1GiB (a Graph page of 1,000 records is a few MiB)")
		return
	}
	g.MaxPageBytes = n
}

// checkClearText refuses a connection string that would reach storage in
// plain http anywhere but on this machine (Azurite): the account key's
// signatures or the SAS, and every record of the archive, would cross the
// network unencrypted. allow is storage.azblob.allow_insecure_http.
func checkClearText(cs string, allow bool) error {
	if allow {
		return nil
	}
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimSpace(cs), ";") {
		if k, v, ok := strings.Cut(part, "="); ok {
			fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	var host string
	if endpoint, ok := fields["BlobEndpoint"]; ok {
		u, err := url.Parse(endpoint)
		if err != nil || !strings.EqualFold(u.Scheme, "http") || isLoopback(u.Hostname()) {
			return nil //nolint:nilerr // an endpoint that does not parse is refused elsewhere; here only clear text matters
		}
		host = u.Host
	} else if strings.EqualFold(fields["DefaultEndpointsProtocol"], "http") {
		suffix := fields["EndpointSuffix"]
		if suffix == "" {
			suffix = "core.windows.net"
		}
		host = fields["AccountName"] + ".blob." + suffix
	} else {
		return nil
	}
	return fmt.Errorf("the connection string reaches storage at %s in plain http: the key's signatures or the SAS and "+
		"the archive's personal data would cross the network unencrypted; use https (DefaultEndpointsProtocol=https, "+
		"BlobEndpoint=https://…), or, on a network you trust, set storage.azblob.allow_insecure_http: true "+
		"(plain http to 127.0.0.1 or localhost, Azurite, needs no setting)", host)
}
