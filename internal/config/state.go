package config

import (
	"net/url"
	"strings"
)

// State chooses where job state (watermarks, recheck marks, the chain head)
// and the tenant leases are kept.
type State struct {
	Type string // storage (in Blob Storage or the local archive) | file
	Path string // directory for type file

	// Container (type storage with the azblob sink) is a second container
	// of the archive's account that keeps the state documents and the
	// tenant leases. Both are rewritten all the time; with them elsewhere the
	// archive container only ever gets new blobs, so it can be immutable
	// (WORM) or reached with a create-only credential. "" keeps them in the
	// archive container.
	Container string
	// ConnectionString* (at most one) reach Container when the archive's
	// credential cannot, such as a SAS for the archive container alone.
	// None set: the archive's account and credential.
	ConnectionStringEnv, ConnectionStringFile, ConnectionString string

	env *envMap
}

// ResolveConnectionString returns the state container's own connection
// string, or "" when it shares the archive's credential. Its errors name
// the key, never the value.
func (s State) ResolveConnectionString() (string, error) {
	ref := s.connectionString()
	if ref.empty() {
		return "", nil
	}
	return s.env.secret(ref)
}

func (s State) connectionString() secretRef {
	return secretRef{"connection_string", s.ConnectionString, s.ConnectionStringEnv, s.ConnectionStringFile}
}

// Describe is the state's place in a few words, for config check:
// "storage", "storage in container entra-state" or "file".
func (s State) Describe() string {
	if s.Type == "storage" && s.Container != "" {
		return "storage in container " + s.Container
	}
	return s.Type
}

// String describes the state without its connection string.
func (s State) String() string {
	parts := []string{"type: " + s.Type}
	add := func(key, val string) {
		if val != "" {
			parts = append(parts, key+": "+val)
		}
	}
	add("path", s.Path)
	add("container", s.Container)
	add("connection_string_env", s.ConnectionStringEnv)
	add("connection_string_file", s.ConnectionStringFile)
	add("connection_string", redact(s.ConnectionString))
	return "{" + strings.Join(parts, ", ") + "}"
}

// GoString is String, for %#v.
func (s State) GoString() string { return s.String() }

// state decodes the state section; storage is the decoded storage section,
// which decides whether state.container can be used.
func (d *decoder) state(path string, v any, s *State, storage Storage) {
	s.env = &d.env
	given := map[string]bool{}
	str := func(key string, dst *string) fieldFunc {
		return func(p string, v any) {
			if str, ok := d.str(p, v); ok {
				*dst, given[key] = str, true
			}
		}
	}
	d.object(path, v, map[string]fieldFunc{
		"type": func(p string, v any) { d.enum(p, v, &s.Type, "state type", "storage", "file") },
		"path": str("path", &s.Path),
		"container": func(p string, v any) {
			given["container"] = true
			d.containerName(p, v, &s.Container)
		},
		"connection_string_env":  str("connection_string_env", &s.ConnectionStringEnv),
		"connection_string_file": str("connection_string_file", &s.ConnectionStringFile),
		"connection_string":      str("connection_string", &s.ConnectionString),
	})
	switch {
	case s.Type == "file" && s.Path == "" && !given["path"]:
		d.addf(join(path, "path"), "required for state type file")
	case s.Type == "file" && s.Path == "":
		d.addf(join(path, "path"), "must not be empty")
	case s.Type == "storage" && given["path"]:
		d.addf(join(path, "path"), "only used with state type file")
	}

	containerPath := join(path, "container")
	connKeys := []string{"connection_string_env", "connection_string_file", "connection_string"}
	switch {
	case !given["container"]:
		for _, k := range connKeys {
			if given[k] {
				d.addf(join(path, k), "only used with state.container")
			}
		}
		return
	case s.Type == "file":
		d.addf(containerPath, "only used with state type storage")
		return
	case storage.Type == "local":
		d.addf(containerPath, "only used with storage type azblob (a local archive keeps its state in its folder; state type file puts it elsewhere)")
		return
	case s.Container == "":
		return // an invalid name, reported
	case s.Container == storage.Azblob.Container:
		d.addf(containerPath, "is the archive container (storage.azblob.container): name a second container, or leave state.container out to keep the state beside the archive")
		return
	}

	ref := s.connectionString()
	if !ref.empty() {
		before := len(d.problems)
		d.checkSecret(path, ref, given, false)
		if len(d.problems) > before {
			return
		}
		if cs, err := d.env.secret(ref); err == nil {
			if err := checkConnectionString(cs); err != nil {
				for _, k := range connKeys {
					if given[k] {
						d.addf(join(path, k), "%v", err)
					}
				}
			}
		}
		return
	}
	// Without its own connection string the state container is reached
	// with the archive's, which a SAS scoped to the archive container
	// cannot serve.
	if storage.Azblob.AccountURL == "" {
		if cs, err := storage.Azblob.ResolveConnectionString(); err == nil && containerSAS(cs) {
			d.addf(containerPath, "storage.azblob's connection string holds a SAS for container %s alone, which cannot reach this one: give the state container its own with state.connection_string_env or state.connection_string_file",
				storage.Azblob.Container)
		}
	}
}

// containerSAS reports whether a connection string's SAS is a service SAS
// scoped to one container (sr=c), not an account SAS.
func containerSAS(cs string) bool {
	for _, part := range strings.Split(cs, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "SharedAccessSignature="); ok {
			q, err := url.ParseQuery(v)
			return err == nil && q.Get("sr") == "c"
		}
	}
	return false
}
