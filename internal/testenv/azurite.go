// Package testenv starts the services tests need. Today that is Azurite, the
// Azure Storage emulator, installed from the repository's package.json into
// node_modules: tests of the blob sink and of state in storage run against it,
// never against a mock.
//
// A test binary shares one in-memory Azurite, started on first use; a package
// that uses it calls Main from its TestMain so it is stopped when the tests
// end (on Linux it also dies with the test binary, should that crash). If
// ENTRA_ARCHIVER_TEST_AZURITE holds a connection string, that Azurite (started
// once by CI for the whole run) is used instead.
package testenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvAzurite names the variable that points tests at a running Azurite.
const EnvAzurite = "ENTRA_ARCHIVER_TEST_AZURITE"

// Azurite's well-known development account (public, the same everywhere).
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

var errNotInstalled = errors.New("Azurite is not installed: run `npm ci` in the repository root")

// AzuriteConnectionString is the connection string of an Azurite blob
// endpoint at hostPort (azblob for Go does not understand
// UseDevelopmentStorage=true).
func AzuriteConnectionString(hostPort string) string {
	return "DefaultEndpointsProtocol=http;AccountName=" + azuriteAccount + ";AccountKey=" + azuriteKey +
		";BlobEndpoint=http://" + hostPort + "/" + azuriteAccount + ";"
}

var shared struct {
	once sync.Once
	proc *AzuriteProcess
	err  error
}

// Main runs the package's tests and then stops the shared Azurite. Use it
// as the whole body of TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// cleanup runs after the tests, before the exit (a deferred call in TestMain
// would not run: Main exits the process).
func Main(m *testing.M, cleanup ...func()) {
	code := m.Run()
	for _, f := range cleanup {
		f()
	}
	if shared.proc != nil {
		if err := shared.proc.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
		}
	}
	os.Exit(code)
}

// Azurite returns the connection string of the test binary's Azurite,
// starting it on first use (or of the one named by ENTRA_ARCHIVER_TEST_AZURITE).
// It fails the test if Azurite cannot run; it never skips.
func Azurite(t testing.TB) string {
	t.Helper()
	if cs := os.Getenv(EnvAzurite); cs != "" {
		return cs
	}
	shared.once.Do(func() {
		shared.proc = &AzuriteProcess{}
		if shared.err = shared.proc.start(); shared.err != nil {
			shared.proc = nil
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.proc.ConnectionString()
}

// AzuriteProcess is one Azurite blob service that a test can stop and start
// again (fault tests), keeping its port and, with a folder, its data.
type AzuriteProcess struct {
	t    testing.TB // nil for the shared process
	dir  string     // --location; "" = in memory
	port int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited <-chan struct{} // closed when cmd has exited
	output tailBuffer
}

// StartAzurite starts a dedicated Azurite that keeps its data in dir (a
// fresh temporary folder if dir is ""), so that data survives Stop and
// Start. It is stopped when the test ends.
func StartAzurite(t testing.TB, dir string) *AzuriteProcess {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	p := &AzuriteProcess{t: t, dir: dir}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// LaunchAzurite starts an Azurite outside any test (the bench command) that
// keeps its data in dir; Close stops it.
func LaunchAzurite(dir string) (*AzuriteProcess, error) {
	p := &AzuriteProcess{dir: dir}
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, nil
}

// Close stops an Azurite started by LaunchAzurite.
func (p *AzuriteProcess) Close() error { return p.stop() }

// ConnectionString of this Azurite; it stays valid across Stop and Start.
func (p *AzuriteProcess) ConnectionString() string {
	return AzuriteConnectionString("127.0.0.1:" + strconv.Itoa(p.port))
}

// Stop terminates Azurite (SIGTERM) and waits for it to exit. Requests fail
// with a refused connection until Start. Call it from the test goroutine.
func (p *AzuriteProcess) Stop() {
	p.t.Helper()
	if err := p.stop(); err != nil {
		p.t.Fatal(err)
	}
}

// Start starts a stopped Azurite again on the same port and folder and
// waits until it accepts connections. Call it from the test goroutine.
func (p *AzuriteProcess) Start() {
	p.t.Helper()
	if err := p.start(); err != nil {
		p.t.Fatal(err)
	}
}

func (p *AzuriteProcess) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return errors.New("azurite: already running")
	}
	bin, err := azuriteBinary()
	if err != nil {
		return err
	}
	if p.port != 0 { // a restart keeps its port
		return p.launch(bin)
	}
	// A free port can be taken between probing and Azurite's bind: retry.
	for range 3 {
		if p.port, err = freePort(); err != nil {
			return err
		}
		if err = p.launch(bin); err == nil {
			return nil
		}
	}
	return err
}

// launch starts Azurite on p.port and waits for the port while watching
// that the process lives.
func (p *AzuriteProcess) launch(bin string) error {
	args := []string{"--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(p.port),
		"--silent", "--disableTelemetry", "--skipApiVersionCheck"}
	if p.dir != "" {
		args = append(args, "--location", p.dir)
	} else {
		args = append(args, "--inMemoryPersistence")
	}
	p.output.Reset()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &p.output, &p.output
	exited, err := startChild(cmd)
	if err != nil {
		return fmt.Errorf("start azurite: %w", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port))
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("azurite exited before listening on %s: %s\n%s", addr, cmd.ProcessState, p.output.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			_ = c.Close()
			p.cmd, p.exited = cmd, exited
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("azurite did not listen on %s within 60s\n%s", addr, p.output.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *AzuriteProcess) stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil
	}
	cmd, exited := p.cmd, p.exited
	p.cmd, p.exited = nil, nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return errors.New("azurite did not stop within 15s of SIGTERM; killed it")
	}
}

// azuriteBinary finds node_modules/.bin/azurite-blob in the module root.
func azuriteBinary() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(root, "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%w (%s is missing)", errNotInstalled, bin)
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("%w (node is not on PATH)", errNotInstalled)
	}
	return bin, nil
}

// moduleRoot walks up from the working directory (a package folder under
// go test) to the folder holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last 8 KiB written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - 8<<10; over > 0 {
		b.buf = b.buf[over:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func (b *tailBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = nil
}
