package deploy

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

const (
	systemdDir       = "deploy/systemd"
	installedBinary  = "/usr/local/bin/entra-archiver"
	systemdConfig    = "/etc/entra-archiver/config.yaml"
	unitFilesPattern = "entra-archiver*"
)

// unit is a parsed systemd unit file: section → key → values in order.
type unit map[string]map[string][]string

func parseUnit(t *testing.T, rel string) unit {
	t.Helper()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(readRepoFile(t, rel)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: cannot parse %q", rel, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

func (u unit) get(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// requireSystemdAnalyze returns the path of systemd-analyze (see
// testenv.Tool for what happens when it is missing).
func requireSystemdAnalyze(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "systemd-analyze", "install it (Debian: apt-get install -y systemd)")
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// buildVersion is linked into the test build, as `make build` links the
// release version.
const buildVersion = "v0.0.0-deploytest"

// buildBinary builds the real binary with the flags of `make build` and the
// Dockerfile (static, -trimpath, version linked in), once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "entra-archiver-deploytest-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-trimpath",
			"-ldflags", "-s -w -X github.com/entra-archiver/entra-archiver/internal/version.Version="+buildVersion,
			"-o", filepath.Join(buildDir, "entra-archiver"), "./cmd/entra-archiver")
		cmd.Dir = repoPath(t, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{err: err, out: string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return filepath.Join(buildDir, "entra-archiver")
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// TestSystemdUnitsVerify runs `systemd-analyze verify` on copies of the
// units whose commands point at a freshly built binary; any complaint (it
// warns about unknown keys and bad values without failing) fails the test.
// It also holds the services' exposure score at its documented 1.2 (≤ 1.3:
// a capability or a lifted restriction raises it).
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := requireSystemdAnalyze(t)
	bin := buildBinary(t)
	units, err := filepath.Glob(filepath.Join(repoPath(t, systemdDir), unitFilesPattern))
	if err != nil || len(units) != 3 {
		t.Fatalf("want 3 unit files in %s, got %v (%v)", systemdDir, units, err)
	}
	dir := t.TempDir()
	var copies []string
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(u, ".service") && !bytes.Contains(b, []byte("ExecStart="+installedBinary+" ")) {
			t.Errorf("%s does not run %s", filepath.Base(u), installedBinary)
		}
		c := filepath.Join(dir, filepath.Base(u))
		if err := os.WriteFile(c, bytes.ReplaceAll(b, []byte(installedBinary), []byte(bin)), 0o644); err != nil {
			t.Fatal(err)
		}
		copies = append(copies, c)
	}
	out, err := exec.Command(analyze, append([]string{"verify", "--man=no"}, copies...)...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, c := range copies {
		if !strings.HasSuffix(c, ".service") {
			continue
		}
		cmd := exec.Command(analyze, "security", "--offline=true", "--threshold=13", "--no-pager", filepath.Base(c))
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze security %s: exposure above 1.3 (%v)\n%s", filepath.Base(c), err, out)
		}
	}
}

// TestSystemdUnitsAgree checks the units against the binary and the example
// configuration: the config they name passes `config check` when run by the
// built binary, the paths the archiver writes are writable under
// ProtectSystem=strict, the timer starts the oneshot, and stopping leaves
// the daemon its stop timeout.
func TestSystemdUnitsAgree(t *testing.T) {
	run := parseUnit(t, systemdDir+"/entra-archiver.service")
	once := parseUnit(t, systemdDir+"/entra-archiver-once.service")
	timer := parseUnit(t, systemdDir+"/entra-archiver-once.timer")
	if got := run.get("Service", "ExecStart"); got != installedBinary+" run --config "+systemdConfig {
		t.Errorf("entra-archiver.service ExecStart %q", got)
	}
	if got := once.get("Service", "ExecStart"); got != installedBinary+" once --config "+systemdConfig {
		t.Errorf("entra-archiver-once.service ExecStart %q", got)
	}
	if once.get("Service", "Type") != "oneshot" || timer.get("Timer", "Unit") != "entra-archiver-once.service" {
		t.Error("the timer does not start the oneshot entra-archiver-once.service")
	}

	// The example config is what /etc/entra-archiver/config.yaml holds.
	cfg, _, err := config.Load(repoPath(t, systemdDir+"/config.yaml"), exampleEnv)
	if err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]unit{"entra-archiver.service": run, "entra-archiver-once.service": once} {
		for key, want := range hardening {
			if got, set := u["Service"][key]; !set || u.get("Service", key) != want {
				t.Errorf("%s: %s=%q (set: %v), want %q", name, key, u.get("Service", key), got != nil, want)
			}
		}
		writable := []string{
			"/var/lib/" + u.get("Service", "StateDirectory"),
			"/var/cache/" + u.get("Service", "CacheDirectory"),
		}
		tmp := ""
		for _, e := range u["Service"]["Environment"] {
			if v, ok := strings.CutPrefix(e, "TMPDIR="); ok {
				tmp = v
			}
		}
		for what, p := range map[string]string{"state.path": cfg.State.Path, "TMPDIR": tmp} {
			if !under(p, writable) {
				t.Errorf("%s: %s %q is not under a directory the unit may write (%v)", name, what, p, writable)
			}
		}
		stop, err := time.ParseDuration(u.get("Service", "TimeoutStopSec"))
		if err != nil || stop <= app.StopTimeout+5*time.Second {
			t.Errorf("%s: TimeoutStopSec %q must exceed app.StopTimeout (%v) plus 5 s", name, u.get("Service", "TimeoutStopSec"), app.StopTimeout)
		}
	}
	if cfg.State.Type != "file" {
		t.Errorf("the systemd example keeps state in %q; it is meant to show state type file in StateDirectory", cfg.State.Type)
	}

	// The built binary accepts the config, as ExecStartPre checks it.
	bin := buildBinary(t)
	check := exec.Command(bin, "config", "check", "--config", repoPath(t, systemdDir+"/config.yaml"))
	check.Env = exampleEnv
	if out, err := check.CombinedOutput(); err != nil || !bytes.Contains(out, []byte(": OK (")) {
		t.Errorf("%s config check: %v\n%s", bin, err, out)
	}
	if out, err := exec.Command(bin, "version").Output(); err != nil || string(out) != "entra-archiver "+buildVersion+"\n" {
		t.Errorf("version: %q, %v; want the version linked in with -ldflags", out, err)
	}
	if got := run.get("Service", "ExecStartPre"); got != installedBinary+" config check --config "+systemdConfig {
		t.Errorf("entra-archiver.service ExecStartPre %q, want a config check of %s", got, systemdConfig)
	}
}

// hardening are settings both services must have (docs/deploy.md).
var hardening = map[string]string{
	"DynamicUser":             "yes",
	"NoNewPrivileges":         "yes",
	"CapabilityBoundingSet":   "",
	"AmbientCapabilities":     "",
	"ProtectSystem":           "strict",
	"ProtectHome":             "yes",
	"PrivateTmp":              "yes",
	"PrivateDevices":          "yes",
	"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
	"MemoryDenyWriteExecute":  "yes",
	"SystemCallArchitectures": "native",
	"UMask":                   "0077",
	"MemoryMax":               "512M",
}

// under reports whether p is one of dirs or inside one.
func under(p string, dirs []string) bool {
	p = path.Clean(p)
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}
