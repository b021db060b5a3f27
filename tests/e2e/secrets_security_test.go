package e2e

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/certfile/certfiletest"

	azsdk "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// Azurite's account key: public, but for the archiver it is a storage key
// like any other and must never be printed.
const azuriteAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

// secretTenant is one simulated tenant and how its config references its
// credential.
type secretTenant struct {
	name, id, auth string
}

// output collects everything the archiver printed or served, by origin.
type output map[string]string

func (o output) add(origin, text string) { o[origin] += text }

// TestSecretsNeverShown runs every command through the real binary at log
// level debug, with known secrets in the environment, in files and inline:
// client secrets, a certificate password, a storage account key and a SAS.
// It also takes the daemon's HTTP pages, a goroutine dump (SIGQUIT) and the
// failure paths (a wrong secret, storage down, a malformed connection
// string, a config error), and reads back every blob, its metadata and the
// state documents. No secret, no part of the account key, no SAS signature
// and no bearer token or client assertion (JWTs start "eyJ") may appear.
func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	const (
		secretEnv    = "env-Secret~Aq8Q1xZ7v0Lm3Nn5Pp9Rr2Tt4"
		secretFile   = "file-Secret~Bq8Q1xZ7v0Lm3Nn5Pp9Rr2Tt5"
		secretInline = "inline-Secret~Cq8Q1xZ7v0Lm3Nn5Pp9Rr2Tt6"
		wrongSecret  = "wrong-Secret~Dq8Q1xZ7v0Lm3Nn5Pp9Rr2Tt7"
		certPassword = "cert-Password~Eq8Q1xZ7v0Lm3Nn5Pp9Rr2Tt8"
	)
	now := time.Now().UTC()
	cert, pfx := passwordPFX(t, certPassword)
	ids := []string{tenantID, "0b6c1f6e-7d1a-4c0e-9a51-1f2d3c4b5a60", "1c7d2a7f-8e2b-4d1f-8b62-2a3e4d5c6b71",
		"2d8e3b80-9f3c-4e20-9c73-3b4f5e6d7c82", "3e9f4c91-a04d-4f31-ad84-4c506f7e8d93"}
	volume := map[string]float64{"interactive-signins": 300, "directory-audits": 120}
	var tenants []graphsim.TenantConfig
	for i, id := range ids {
		tc := graphsim.TenantConfig{ID: id, ClientID: clientID, ClientSecret: []string{secretEnv, secretFile, secretInline, secretEnv, ""}[i],
			Seed: int64(60 + i), Volume: volume, Epoch: now.Add(-4 * time.Hour), Until: now.Add(-time.Hour)}
		if i == 4 {
			tc.ClientCertificates = []*x509.Certificate{cert}
		}
		tenants = append(tenants, tc)
	}
	sim := startSim(t, graphsim.Options{Tenants: tenants})
	dir := t.TempDir()
	secretPath := filepath.Join(dir, "client-secret")
	pfxPath := filepath.Join(dir, "app.pfx")
	for path, data := range map[string][]byte{secretPath: []byte(secretFile + "\n"), pfxPath: pfx} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	byRef := []secretTenant{
		{"env-secret", ids[0], "{method: client-secret, client_id: " + clientID + ", client_secret_env: SECRET_ENV}"},
		{"file-secret", ids[1], "{method: client-secret, client_id: " + clientID + ", client_secret_file: " + secretPath + "}"},
		{"inline-secret", ids[2], "{method: client-secret, client_id: " + clientID + ", client_secret: '" + secretInline + "'}"},
		{"wrong-secret", ids[3], "{method: client-secret, client_id: " + clientID + ", client_secret_env: WRONG_SECRET}"},
		{"certificate", ids[4], "{method: client-certificate, client_id: " + clientID + ", certificate_file: " + pfxPath + ", certificate_password_env: CERT_PASSWORD}"},
	}

	az := testenv.StartAzurite(t, "")
	container := testenv.Container(t)
	keyConn := az.ConnectionString()
	sasConn, sig := sasConnectionString(t, keyConn)
	sasPath := filepath.Join(dir, "storage-connection")
	if err := os.WriteFile(sasPath, []byte(sasConn), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	configFor := func(storage string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "log: {level: info}\nhttp: {listen: %q}\n%s\ndefaults:\n  start: 3h\n  rate_limit: {requests: 10000, per: 1s}\n", listen, storage)
		b.WriteString("graph: {app_rate_limit: {requests: 10000, per: 1s}}\ntenants:\n")
		for _, tn := range byRef {
			fmt.Fprintf(&b, "  - name: %s\n    tenant_id: %s\n    auth: %s\n    graph_endpoint: %s\n    authority_host: %s\n    disable_instance_discovery: true\n",
				tn.name, tn.id, tn.auth, sim.GraphURL(), sim.AuthorityHost())
		}
		return b.String()
	}
	env := []string{"SECRET_ENV=" + secretEnv, "WRONG_SECRET=" + wrongSecret, "CERT_PASSWORD=" + certPassword,
		"AZ_CONN=" + keyConn, "ENTRA_ARCHIVER_LOG__LEVEL=debug"}
	keyed := newProcess(t, sim, configFor(fmt.Sprintf("storage: {type: azblob, azblob: {connection_string_env: AZ_CONN, container: %s}}", container)), env...)
	signed := newProcess(t, sim, configFor(fmt.Sprintf("storage: {type: azblob, azblob: {connection_string_file: %s, container: %s}}", sasPath, container)), env...)

	out := output{}
	from, to := now.Add(-3*time.Hour).Truncate(time.Hour).Format(time.RFC3339), now.Add(-time.Hour).Truncate(time.Hour).Format(time.RFC3339)
	for name, p := range map[string]*process{"account key": keyed, "SAS": signed} {
		for _, args := range [][]string{
			{"config", "check"},
			{"config", "check", "--online"},
			{"once"},
			{"backfill", "--tenant", "certificate", "--stream", "directory-audits", "--from", from, "--to", to},
			{"status"},
			{"status", "--json"},
			{"verify"},
			{"export", "--tenant", "env-secret", "--stream", "interactive-signins", "--from", from, "--to", to, "--format", "csv", "--where", "status/errorCode ne 0"},
			{"export", "--tenant", "inline-secret", "--stream", "directory-audits", "--from", from, "--to", to, "--format", "jsonl"},
		} {
			code, stdout, stderr := p.run(args...)
			out.add(fmt.Sprintf("%s: %s (exit %d)", name, strings.Join(args, " "), code), stdout+stderr)
		}
		daemon(t, p, "http://"+listen, out, name)
	}
	// Every tenant but the one with the wrong secret archived: each way of
	// passing a credential was exercised.
	if once := out["account key: once (exit 1)"]; !strings.Contains(once, "2 of 10 jobs failed") || !strings.Contains(once, "wrong-secret/") {
		t.Fatalf("once should fail only the two jobs of the tenant with the wrong secret:\n%s", lastLines(once, 10))
	}
	failurePaths(t, sim, keyConn, container, configFor, env, out)
	storedBytes(t, keyConn, container, out)
	az.Stop()
	code, stdout, stderr := signed.run("once")
	out.add(fmt.Sprintf("SAS, storage down: once (exit %d)", code), stdout+stderr)

	needles := map[string]string{
		"client secret (env)": secretEnv, "client secret (file)": secretFile, "client secret (inline)": secretInline,
		"wrong client secret": wrongSecret, "certificate password": certPassword,
		"account key": azuriteAccountKey, "account key (start)": azuriteAccountKey[:16], "account key (end)": azuriteAccountKey[len(azuriteAccountKey)-16:],
		"SAS signature": sig, "SAS signature (URL-encoded)": url.QueryEscape(sig),
		// A JWT's header, {"alg": or {"typ":, base64url-encoded: every token
		// and client assertion begins with one. ("eyJ" alone also turns up
		// by chance in the random base64url ids of beta sign-ins.)
		"JWT (bearer token or client assertion)": "eyJhbGci", "JWT (typ first)": "eyJ0eXAi",
	}
	// The scan itself can fail: the config file holds the inline secret.
	config, err := os.ReadFile(keyed.config)
	if err != nil {
		t.Fatal(err)
	}
	if found := leaks(output{"config file": string(config)}, needles); len(found) != 1 {
		t.Fatalf("the scan found %d secrets in the config file, want the inline one: %v", len(found), found)
	}
	for _, leak := range leaks(out, needles) {
		t.Error(leak)
	}
	t.Logf("%d outputs checked", len(out))
}

// leaks reports every needle found in out, with the secret masked.
func leaks(out output, needles map[string]string) []string {
	var found []string
	for origin, text := range out {
		for what, needle := range needles {
			if i := strings.Index(text, needle); i >= 0 {
				found = append(found, fmt.Sprintf("%s printed the %s: …%s…", origin, what, mask(text, i, len(needle))))
			}
		}
	}
	return found
}

// daemon runs `run` until its first archiving round is served, takes its
// HTTP pages, then sends SIGQUIT for a goroutine dump (the runtime's panic
// output), and records everything.
func daemon(t *testing.T, p *process, base string, out output, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, stdout, stderr := p.command(ctx, "run")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(get200(base+"/metrics"), "entra_archiver_runs_total") {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not serve metrics within a minute\n%s", lastLines(stderr.String(), 20))
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, page := range []string{"/metrics", "/", "/healthz", "/readyz"} {
		out.add(name+": run, GET "+page, get200(base+page))
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if !strings.Contains(stderr.String(), "goroutine ") {
		t.Fatalf("SIGQUIT gave no goroutine dump (%v)\n%s", err, lastLines(stderr.String(), 10))
	}
	out.add(name+": run, then SIGQUIT", stdout.String()+stderr.String())
}

// failurePaths runs commands that fail with secrets in play: storage
// refused (bad key), a malformed connection string holding the key inline,
// and a configuration error beside an inline secret.
func failurePaths(t *testing.T, sim *graphsim.Server, keyConn, container string, configFor func(string) string, env []string, out output) {
	t.Helper()
	badKey := strings.Replace(keyConn, azuriteAccountKey, "AAAA"+azuriteAccountKey[4:], 1)
	malformed := "AccountName=devstoreaccount1;AccountKey=" + azuriteAccountKey + ";BlobEndpoint=::not a url::"
	for name, storage := range map[string]string{
		"storage refuses the key":     fmt.Sprintf("storage: {type: azblob, azblob: {connection_string: '%s', container: %s}}", badKey, container),
		"malformed connection string": fmt.Sprintf("storage: {type: azblob, azblob: {connection_string: '%s', container: %s}}", malformed, container),
		"config error":                fmt.Sprintf("storage: {type: azblob, azblob: {connection_string: '%s', container: %s, tier: hot}}", keyConn, container),
	} {
		p := newProcess(t, sim, configFor(storage), env...)
		for _, args := range [][]string{{"config", "check"}, {"once"}, {"status"}} {
			code, stdout, stderr := p.run(args...)
			if name == "config error" && code != 2 {
				t.Errorf("%s: %v exited %d, want 2", name, args, code)
			}
			out.add(fmt.Sprintf("%s: %s (exit %d)", name, strings.Join(args, " "), code), stdout+stderr)
		}
	}
}

// storedBytes adds every blob of the container (state documents and
// manifests included) and its metadata to out.
func storedBytes(t *testing.T, conn, container string, out output) {
	t.Helper()
	sink, err := azblob.New(context.Background(), azblob.Options{ConnectionString: conn, Container: container})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = sink.List(context.Background(), "", func(o archive.Object) error {
		rc, err := sink.Open(context.Background(), o.Name)
		if err != nil {
			return err
		}
		defer rc.Close()
		var r io.Reader = rc
		if strings.HasSuffix(o.Name, ".gz") {
			zr, err := format.NewGzipReader(rc)
			if err != nil {
				return err
			}
			defer zr.Close()
			r = zr
		}
		body, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		n++
		out.add("stored blob "+o.Name, fmt.Sprintf("%v\n%s", o.Metadata, body))
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("read back %d blobs: %v", n, err)
	}
}

// mask shows the text around a found secret with the secret itself hidden.
func mask(text string, at, n int) string {
	lo, hi := max(0, at-60), min(len(text), at+n+60)
	return text[lo:at] + "<" + fmt.Sprint(n) + " secret bytes>" + text[at+n:hi]
}

func get200(u string) string {
	resp, err := http.Get(u)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// sasConnectionString turns an account-key connection string into one
// holding an account SAS, and returns the SAS signature too.
func sasConnectionString(t *testing.T, keyConn string) (string, string) {
	t.Helper()
	var endpoint string
	for _, kv := range strings.Split(keyConn, ";") {
		if v, ok := strings.CutPrefix(kv, "BlobEndpoint="); ok {
			endpoint = v
		}
	}
	cred, err := azsdk.NewSharedKeyCredential("devstoreaccount1", azuriteAccountKey)
	if err != nil {
		t.Fatal(err)
	}
	perms := sas.AccountPermissions{Read: true, Write: true, Delete: true, List: true, Add: true, Create: true, Update: true, Tag: true}
	types := sas.AccountResourceTypes{Service: true, Container: true, Object: true}
	qp, err := sas.AccountSignatureValues{
		Protocol: sas.ProtocolHTTPSandHTTP, ExpiryTime: time.Now().Add(2 * time.Hour).UTC(),
		Permissions: perms.String(), ResourceTypes: types.String(),
	}.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	return "BlobEndpoint=" + endpoint + ";SharedAccessSignature=" + qp.Encode(), qp.Signature()
}

// passwordPFX returns a self-signed RSA certificate and a PKCS#12 file of it
// and its key, encrypted with password.
func passwordPFX(t *testing.T, password string) (*x509.Certificate, []byte) {
	t.Helper()
	cert, key := certfiletest.New(t, "entra-archiver e2e")
	return cert, certfiletest.PFX(t, nil, cert, key, password)
}
