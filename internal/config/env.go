package config

import (
	"maps"
	"slices"
	"strings"

	"github.com/knadh/koanf/providers/env/v2"
)

const (
	// EnvPrefix starts every environment variable that overrides a key:
	// ENTRA_ARCHIVER_LOG__LEVEL=debug sets log.level. A double underscore
	// separates levels; a single one stays part of the key.
	EnvPrefix = "ENTRA_ARCHIVER_"
	// EnvConfigFile names the config file when --config is not given. It is
	// not a key and Load ignores it.
	EnvConfigFile = EnvPrefix + "CONFIG"
)

// envMap is an environment as name → value.
type envMap map[string]string

func newEnvMap(environ []string) envMap {
	m := make(envMap, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// envProvider reads the ENTRA_ARCHIVER_* variables of environ as flat dotted
// keys (mergeEnv builds the tree), recording in origins which variable set
// which key path.
func envProvider(environ []string, origins map[string]string) *env.Env {
	return env.Provider("", env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(name, value string) (string, any) {
			if name == EnvConfigFile {
				return "", nil
			}
			key := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, EnvPrefix)), "__", ".")
			if key == "" || !meantAsKey(key) {
				return "", nil
			}
			origins[displayPath(key)] = name
			return key, value
		},
	})
}

// topLevelKeys are the sections of the config file.
var topLevelKeys = []string{"defaults", "graph", "http", "log", "state", "storage", "tenants"}

// meantAsKey tells whether a variable below the prefix addresses the config:
// its first level is a section, or looks like one with a single underscore
// where a double one belongs (ENTRA_ARCHIVER_LOG_LEVEL), which is reported.
// Other variables that merely share the prefix (a secret a client_secret_env
// names, test settings) are not config keys and are left alone.
func meantAsKey(key string) bool {
	first, _, _ := strings.Cut(key, ".")
	for _, k := range topLevelKeys {
		if first == k || strings.HasPrefix(first, k+"_") {
			return true
		}
	}
	return false
}

// displayPath turns a dotted key with numeric segments (tenants.0.name) into
// the path form problems use (tenants[0].name).
func displayPath(key string) string {
	var b strings.Builder
	for i, seg := range strings.Split(key, ".") {
		switch {
		case i > 0 && isIndex(seg):
			b.WriteString("[" + seg + "]")
		case i > 0:
			b.WriteString("." + seg)
		default:
			b.WriteString(seg)
		}
	}
	return b.String()
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// mergeEnv merges the environment's flat keys (src: "log.level" → "debug")
// into the file's tree (dest), in sorted key order so the result never
// depends on map order. A value replaces whatever was there; a key below a
// scalar replaces the scalar with a mapping. Numeric segments address list
// items (ENTRA_ARCHIVER_TENANTS__0__AUTH__CLIENT_ID changes the file's first
// tenant) and extend the list when it is shorter.
func mergeEnv(src, dest map[string]any) error {
	for _, key := range slices.Sorted(maps.Keys(src)) {
		segs := strings.Split(key, ".")
		dest[segs[0]] = setPath(dest[segs[0]], segs[1:], src[key])
	}
	return nil
}

// setPath returns node with the value at segs set to v.
func setPath(node any, segs []string, v any) any {
	if len(segs) == 0 {
		return v
	}
	seg, rest := segs[0], segs[1:]
	if list, ok := node.([]any); ok {
		if i, ok := listIndex(seg); ok {
			for len(list) <= i {
				list = append(list, nil)
			}
			list[i] = setPath(list[i], rest, v)
			return list
		}
	}
	m, ok := node.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	m[seg] = setPath(m[seg], rest, v)
	return m
}
