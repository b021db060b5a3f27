package graphsim

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestStartValidates(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*TenantConfig)
		want string
	}{
		{"tenant id", func(c *TenantConfig) { c.ID = "contoso" }, "GUID"},
		{"secret", func(c *TenantConfig) { c.ClientSecret = "" }, "ClientSecret"},
		{"stream", func(c *TenantConfig) { c.Volume["signins"] = 1 }, `unknown stream "signins"`},
		{"volume", func(c *TenantConfig) { c.Volume["provisioning"] = -1 }, "out of range"},
		{"late", func(c *TenantConfig) { c.Late = Late{Fraction: 0.5, Min: time.Hour} }, "Min <= Max"},
		{"fraction", func(c *TenantConfig) { c.Revise = 2 }, "[0, 1]"},
		{"throttle", func(c *TenantConfig) { c.Throttle = &Throttle{Per: time.Second} }, "Requests >= 1"},
		{"script", func(c *TenantConfig) { c.Faults.Script = []ScriptedFault{{Request: 0, Kind: FaultReset}} }, "scripted fault"},
	}
	for _, c := range cases {
		cfg := baseTenant()
		c.mod(&cfg)
		s, err := Start(Options{Tenants: []TenantConfig{cfg}})
		if err == nil {
			s.Close()
			t.Errorf("%s: Start accepted it", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := Start(Options{Tenants: []TenantConfig{baseTenant(), baseTenant()}}); err == nil {
		t.Error("Start accepted a tenant twice")
	}
}

func TestServerEndpointsAndCA(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var logs []string
	s, _ := startSim(t, func(o *Options) {
		o.Dir = dir
		o.Logf = func(format string, args ...any) {
			mu.Lock()
			logs = append(logs, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
	})
	if !regexp.MustCompile(`^https://127\.0\.0\.1:\d+$`).MatchString(s.GraphURL()) || s.AuthorityHost() != s.GraphURL()+"/" {
		t.Fatalf("GraphURL %q, AuthorityHost %q", s.GraphURL(), s.AuthorityHost())
	}
	if s.CAFile() != filepath.Join(dir, "graphsim-ca.pem") {
		t.Fatalf("CAFile %q", s.CAFile())
	}
	pem, err := os.ReadFile(s.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		port := strings.TrimPrefix(s.GraphURL(), "https://127.0.0.1:")
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := client.Get("https://" + host + ":" + port + "/v1.0/auditLogs/signIns")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d without a token", host, resp.StatusCode)
		}
	}
	if _, err := http.Get(s.GraphURL()); err == nil {
		t.Error("the default client trusts the self-signed CA")
	}
	if s.Tenant(strings.ToUpper(testTenant)) == nil || s.Tenant("00000000-0000-0000-0000-000000000000") != nil {
		t.Error("Tenant lookup")
	}
	fetchToken(t, s)
	s.Close()
	s.Close()
	if _, err := os.Stat(s.CAFile()); err != nil {
		t.Error("Close removed a CA file in Options.Dir")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) < 3 {
		t.Fatalf("logs: %v", logs)
	}
	for _, l := range logs {
		if strings.Contains(l, testSecret) {
			t.Fatalf("log line leaks the secret: %s", l)
		}
	}
}

func TestTempCARemoved(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ca := s.CAFile()
	if _, err := os.Stat(ca); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(ca); !os.IsNotExist(err) {
		t.Fatalf("temp CA file left behind: %v", err)
	}
	if _, err := s.HTTPClient().Get(s.GraphURL() + "/v1.0/auditLogs/signIns"); err == nil {
		t.Fatal("server still answers after Close")
	}
}

// TestConcurrentClients pages several streams at once (run with -race).
func TestConcurrentClients(t *testing.T) {
	s, _ := startSim(t, lateTenant)
	tok := fetchToken(t, s)
	w := audit.Window{From: testNow.Add(-3 * time.Hour), To: testNow.Add(-2 * time.Hour)}
	var wg sync.WaitGroup
	results := make([][][]byte, len(audit.Streams))
	errs := make([]error, len(audit.Streams))
	for k, st := range audit.Streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[k], _, errs[k] = pageAll(s, tok, collectionURL(s, st, windowFilter(st, w), "$top=120"))
		}()
	}
	wg.Wait()
	for k, st := range audit.Streams {
		if errs[k] != nil {
			t.Fatalf("%s: %v", st.Name, errs[k])
		}
		got := sortedUnique(t, st, inWindow(t, st, w, results[k]))
		equalRecords(t, st.Name, got, s.Tenant(testTenant).Visible(st.Name, w, testNow))
	}
}
