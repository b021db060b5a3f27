package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// Build compiles the entra-archiver binary into dir and returns its path.
// It runs `go build` in the current module, so the bench command must be
// started from inside the repository (or given a binary).
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "entra-archiver")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/entra-archiver/entra-archiver/cmd/entra-archiver")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build entra-archiver: %w\n%s", err, out)
	}
	return bin, nil
}

// Storage is where an archiver run writes: a local folder or an Azurite
// container.
type Storage struct {
	Local string // folder, for type local
	// AzuriteConn and Container select an Azurite container instead.
	AzuriteConn string
	Container   string
}

// Name is "local" or "azblob".
func (s Storage) Name() string {
	if s.AzuriteConn != "" {
		return "azblob"
	}
	return "local"
}

func (s Storage) yaml() string {
	if s.AzuriteConn != "" {
		return fmt.Sprintf("storage:\n  type: azblob\n  azblob: {connection_string_env: AZURE_STORAGE_CONNECTION_STRING, container: %s}\n", s.Container)
	}
	return fmt.Sprintf("storage: {type: local, local: {path: %q}}\n", s.Local)
}

// RateLimit is a request budget, as in the config.
type RateLimit struct {
	Requests int
	Per      time.Duration
}

func (r RateLimit) yaml() string {
	return fmt.Sprintf("{requests: %d, per: %s}", r.Requests, r.Per)
}

// unlimited is a budget the bench never reaches.
var unlimited = RateLimit{Requests: 100000, Per: time.Second}

// archiverConfig is the YAML configuration of one bench run.
type archiverConfig struct {
	Storage  Storage
	App      RateLimit
	Defaults string // YAML lines under defaults:, indented by two spaces
	Tenants  []tenantIdentity
	// TenantExtra, when set, returns extra YAML lines for a tenant, each
	// indented by four spaces.
	TenantExtra func(tenantIdentity) string
}

func (c archiverConfig) render(sim *graphsim.Server) string {
	var b strings.Builder
	b.WriteString("log: {level: info, format: json}\nhttp: {listen: \"\"}\n")
	fmt.Fprintf(&b, "graph: {app_rate_limit: %s}\n", c.App.yaml())
	b.WriteString(c.Storage.yaml())
	b.WriteString("defaults:\n" + c.Defaults)
	b.WriteString("tenants:\n")
	for _, t := range c.Tenants {
		fmt.Fprintf(&b, "  - name: %s\n    tenant_id: %s\n", t.Name, t.ID)
		fmt.Fprintf(&b, "    auth: {method: client-secret, client_id: %s, client_secret_env: %s}\n", t.ClientID, secretEnv)
		fmt.Fprintf(&b, "    graph_endpoint: %s\n    authority_host: %s\n    disable_instance_discovery: true\n", sim.GraphURL(), sim.AuthorityHost())
		if c.TenantExtra != nil {
			b.WriteString(c.TenantExtra(t))
		}
	}
	return b.String()
}

// archiver runs the binary with one configuration.
type archiver struct {
	binary string
	config string
	env    []string
}

// newArchiver writes the configuration into dir and prepares the
// environment: the simulated Graph's CA, the client secret, the storage
// connection string and a private TMPDIR for spill and part files.
func newArchiver(binary, dir string, sim *graphsim.Server, c archiverConfig) (*archiver, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(c.render(sim)), 0o600); err != nil {
		return nil, err
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + filepath.Join(dir, "tmp"),
		"SSL_CERT_FILE=" + sim.CAFile(), secretEnv + "=" + benchSecret,
	}
	// The Go runtime's knobs pass through, so that their effect can be
	// measured (GOMEMLIMIT=300MiB, GODEBUG=gctrace=1, …).
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if c.Storage.AzuriteConn != "" {
		env = append(env, "AZURE_STORAGE_CONNECTION_STRING="+c.Storage.AzuriteConn)
	}
	return &archiver{binary: binary, config: path, env: env}, nil
}

// command returns the command line for args, the config appended.
func (a *archiver) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, a.binary, append(args, "--config", a.config)...)
	cmd.Env = a.env
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	return cmd
}

// run runs a command to completion and measures it.
func (a *archiver) run(ctx context.Context, args ...string) (Usage, error) {
	return measure(a.command(ctx, args...), 0)
}
