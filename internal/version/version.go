// Package version reports the build's version: set at link time with
// -ldflags "-X github.com/entra-archiver/entra-archiver/internal/version.Version=v1.2.3",
// else derived from the module and VCS information Go embeds.
package version

import (
	"runtime/debug"
)

// Version is overridden at link time for releases.
var Version = ""

// String returns the version, e.g. "v1.2.3" or "devel+4f2a9c1d".
func String() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "devel"
	if rev != "" {
		v += "+" + rev
	}
	if dirty {
		v += "-dirty"
	}
	return v
}
