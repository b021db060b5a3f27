// Package config loads entra-archiver's configuration: built-in defaults, then
// a YAML file, then ENTRA_ARCHIVER_* environment variables (koanf), decoded
// strictly and validated as a whole. Load reports every problem at once, each
// with its key path ("tenants[1].auth.client_id: required"), so `config check`
// can show a user everything to fix in one go.
//
// Defaults are resolved here: every tenant carries its own complete Settings
// (the defaults section merged with the tenant's overrides), its Graph and
// authority endpoints and its auth method, so callers never look at defaults
// again. Secrets are never read into the Config: Auth.Secret and
// Azblob.ResolveConnectionString read them from the environment or a file when
// asked, and no error or Redacted output contains one.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// Config is a loaded, validated and fully resolved configuration.
type Config struct {
	// Path is the file it was loaded from ("" when only the environment was
	// read).
	Path     string
	Log      Log
	HTTP     HTTP
	Graph    Graph
	Storage  Storage
	State    State
	Defaults Settings // the defaults section, resolved; tenants already carry their own copy
	Tenants  []Tenant
}

// Log configures the zap logger.
type Log struct {
	Level  string // debug | info | warn | error
	Format string // json | console
}

// HTTP configures the /metrics, /healthz and /readyz listener.
type HTTP struct {
	Listen string // host:port; "" disables the listener
}

// Graph holds settings shared by every tenant's Graph client.
type Graph struct {
	// AppRateLimit is the app's request budget across all tenants, above
	// each tenant's RateLimit.
	AppRateLimit RateLimit
	// RequestTimeout bounds one Graph request (key graph.request_timeout).
	RequestTimeout time.Duration
	// MaxPageBytes bounds one page as read, after decompression (key
	// graph.max_page_bytes).
	MaxPageBytes int64
}

// RateLimit allows Requests requests per Per.
type RateLimit struct {
	Requests int
	Per      time.Duration
}

// Settings are the per-tenant job settings: what the defaults section holds
// and what every tenant resolves to.
type Settings struct {
	Schedule         string            // robfig/cron spec, "@every 15m" or 5 fields
	Streams          []audit.Stream    // contract order, no repeats
	Formats          []string          // jsonl | json | csv, no repeats
	Compression      string            // gzip | none
	Partition        audit.Granularity // hour | day
	Settle           time.Duration     // never archive past now - Settle
	Recheck          []time.Duration   // strictly increasing, each > Settle; may be empty
	Start            Start             // where a job without a watermark begins
	RetentionWarning time.Duration     // warn when the watermark nears the retention edge
	RateLimit        RateLimit         // this tenant's Graph budget, shared by its streams
	Filter           map[string]string // stream name → extra OData filter; nil when none
}

// Start is where a job without a watermark begins: exactly one of the three
// is set.
type Start struct {
	Retention bool          // as far back as Graph keeps logs
	At        time.Time     // a fixed instant (UTC)
	Back      time.Duration // this long before now
}

// Tenant is one Entra tenant to archive, fully resolved.
type Tenant struct {
	Name     string // [a-z0-9-]{1,63}; used in blob paths and metrics
	TenantID string // GUID, lower case
	Cloud    string // public | usgov | usgov-dod | china
	Auth     Auth
	// GraphEndpoint is the Graph root without version or trailing slash
	// (https://graph.microsoft.com); the token scope is GraphEndpoint +
	// "/.default".
	GraphEndpoint string
	// AuthorityHost ends with a slash (https://login.microsoftonline.com/).
	AuthorityHost            string
	DisableInstanceDiscovery bool
	Settings                 Settings
}

// Tenant returns the tenant with the given name.
func (c *Config) Tenant(name string) (Tenant, bool) {
	for _, t := range c.Tenants {
		if t.Name == name {
			return t, true
		}
	}
	return Tenant{}, false
}

// Load reads the configuration file at path ("" for none) and the
// ENTRA_ARCHIVER_* variables of environ (as os.Environ returns them), applies
// defaults and validates the result. Warnings are problems that do not stop
// the configuration from working (an inline secret). On failure the error is
// an *Errors listing every problem.
func Load(path string, environ []string, opts ...LoadOption) (*Config, []string, error) {
	k := koanf.New(".")
	if path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return nil, nil, &Errors{Problems: []Problem{{Path: path, Message: fileError(path, err)}}}
		}
	}
	origins := map[string]string{}
	if err := k.Load(envProvider(environ, origins), nil, koanf.WithMergeFunc(mergeEnv)); err != nil {
		return nil, nil, &Errors{Problems: []Problem{{Message: "environment: " + err.Error()}}}
	}
	d := &decoder{origins: origins, env: newEnvMap(environ)}
	for _, o := range opts {
		o(d)
	}
	c := d.config(k.Raw())
	c.Path = path
	if len(d.problems) > 0 {
		return nil, d.warnings, &Errors{Problems: sortProblems(d.problems)}
	}
	return c, d.warnings, nil
}

// LoadOption changes what Load checks.
type LoadOption func(*decoder)

// StorageOnly is for the commands that only read the archive (status,
// verify, export, config check without --online): the tenants' Graph
// credentials are checked for form (one way of giving each, GUIDs) but
// never resolved, so those commands need storage access only, never a
// client secret, certificate or token file or their environment variables
// (DESIGN.md "Read-only commands").
func StorageOnly() LoadOption { return func(d *decoder) { d.storageOnly = true } }

// WarnUnresolvedSecrets, with StorageOnly, warns about a Graph secret that
// does not resolve here (its variable unset, its file unreadable): config
// check says so, since run, once and backfill will need it.
func WarnUnresolvedSecrets() LoadOption { return func(d *decoder) { d.warnUnresolved = true } }

// fileError describes a failure to read or parse the config file without
// repeating the file name (the problem's path already is the file).
func fileError(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot %s: %v", pe.Op, pe.Err)
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	if strings.Contains(msg, "cannot unmarshal") && strings.Contains(msg, "into map[string]") {
		return "the file must hold a YAML mapping of keys (log, storage, tenants, …)"
	}
	return msg
}

// config decodes the whole tree.
func (d *decoder) config(raw map[string]any) *Config {
	c := &Config{
		Log:      Log{Level: "info", Format: "json"},
		HTTP:     HTTP{Listen: "127.0.0.1:9464"},
		Graph:    Graph{AppRateLimit: RateLimit{Requests: 122, Per: 10 * time.Second}, RequestTimeout: 60 * time.Second, MaxPageBytes: DefaultMaxPageBytes},
		Storage:  Storage{Type: "azblob", Local: LocalStorage{Path: "./archive"}, Azblob: Azblob{Container: "entra-logs"}},
		State:    State{Type: "storage"},
		Defaults: builtinSettings(),
	}
	var storage, state, tenants any = map[string]any{}, map[string]any{}, nil
	defaultsSet := map[string]bool{}
	d.object("", raw, map[string]fieldFunc{
		"log":     func(p string, v any) { d.log(p, v, &c.Log) },
		"http":    func(p string, v any) { d.http(p, v, &c.HTTP) },
		"graph":   func(p string, v any) { d.graph(p, v, &c.Graph) },
		"storage": func(p string, v any) { storage = v },
		"state":   func(p string, v any) { state = v },
		"defaults": func(p string, v any) {
			d.object(p, v, d.settingsFields(&c.Defaults, defaultsSet))
		},
		"tenants": func(p string, v any) { tenants = v },
	})
	d.storage("storage", storage, &c.Storage)
	d.state("state", state, &c.State, c.Storage)
	var inherited inheritance
	c.Tenants, inherited = d.tenants("tenants", tenants, c.Defaults)
	d.checkDefaults(c.Defaults, defaultsSet, inherited)
	return c
}

func (d *decoder) log(path string, v any, l *Log) {
	d.object(path, v, map[string]fieldFunc{
		"level":  func(p string, v any) { d.enum(p, v, &l.Level, "log level", "debug", "info", "warn", "error") },
		"format": func(p string, v any) { d.enum(p, v, &l.Format, "log format", "json", "console") },
	})
}

func (d *decoder) http(path string, v any, h *HTTP) {
	d.object(path, v, map[string]fieldFunc{
		"listen": func(p string, v any) {
			s, ok := d.str(p, v)
			if !ok {
				return
			}
			if s != "" {
				if err := checkListen(s); err != nil {
					d.addf(p, "%v", err)
					return
				}
			}
			h.Listen = s
		},
	})
}

func (d *decoder) graph(path string, v any, g *Graph) {
	d.object(path, v, map[string]fieldFunc{
		"app_rate_limit": func(p string, v any) { d.rateLimit(p, v, &g.AppRateLimit) },
		"max_page_bytes": func(p string, v any) { d.maxPageBytes(p, v, g) },
		"request_timeout": func(p string, v any) {
			if t, ok := d.duration(p, v); ok {
				if t <= 0 {
					d.addf(p, "must be greater than 0")
					return
				}
				g.RequestTimeout = t
			}
		},
	})
}

func (d *decoder) rateLimit(path string, v any, r *RateLimit) {
	d.object(path, v, map[string]fieldFunc{
		"requests": func(p string, v any) {
			if n, ok := d.integer(p, v); ok {
				if n <= 0 {
					d.addf(p, "must be greater than 0")
					return
				}
				r.Requests = n
			}
		},
		"per": func(p string, v any) {
			if t, ok := d.duration(p, v); ok {
				if t <= 0 {
					d.addf(p, "must be greater than 0")
					return
				}
				r.Per = t
			}
		},
	})
}

// enum decodes a string that must be one of allowed, reporting whether it
// was.
func (d *decoder) enum(path string, v any, dst *string, what string, allowed ...string) bool {
	s, ok := d.str(path, v)
	if !ok {
		return false
	}
	for _, a := range allowed {
		if s == a {
			*dst = s
			return true
		}
	}
	d.addf(path, "unknown %s %q (want %s)", what, s, orList(allowed))
	return false
}

// orList renders ["a", "b", "c"] as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
