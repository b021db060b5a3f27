package app_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/state"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// TestStateContainer: with state.container the state documents and the
// tenant leases live in a second container, created when missing (and
// required to exist by the read-only commands), and the archive container
// holds only what was archived. The state container may have its own
// connection string, so the archive can be reached through a create-only
// SAS that could not keep them.
func TestStateContainer(t *testing.T) {
	conn := testenv.Azurite(t)
	archiveName, stateName := testenv.Container(t), testenv.Container(t)
	yaml := func(archiveEnv, stateConn string) string {
		return fmt.Sprintf(`
storage: {type: azblob, azblob: {connection_string_env: %s, container: %s}}
state: {type: storage, container: %s%s}
tenants:
  - {name: contoso, tenant_id: %s, auth: {client_id: %s, client_secret_env: SIM_SECRET}}
`, archiveEnv, archiveName, stateName, stateConn, testTenantID, testClientID)
	}
	env := []string{"SIM_SECRET=" + testSecret, "KEY_CONN=" + conn}
	cfg := loadConfig(t, yaml("KEY_CONN", ""), env...)

	archiveSink, err := azblob.New(t.Context(), azblob.Options{ConnectionString: conn, Container: archiveName})
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.OpenArchive(t.Context(), cfg, nil)
	if !errors.Is(err, archive.ErrNotFound) || !strings.Contains(err.Error(), "state.container: container "+stateName+" does not exist") {
		t.Fatalf("OpenArchive without the state container: %v, want it named as missing", err)
	}
	st, err := app.OpenStorage(t.Context(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	stateSink, err := azblob.New(t.Context(), azblob.Options{ConnectionString: conn, Container: stateName, MustExist: true})
	if err != nil {
		t.Fatalf("the state container was not created: %v", err)
	}
	if _, err := st.State.Save(t.Context(), "contoso", "directory-audits", state.State{Watermark: time.Now().UTC()}, ""); err != nil {
		t.Fatal(err)
	}
	lease, err := st.Locker.Acquire(t.Context(), st.Layout.LockName("contoso"), app.LeaseTTL)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(t.Context())
	for _, name := range []string{st.Layout.StateName("contoso", "directory-audits"), st.Layout.LockName("contoso")} {
		if _, err := stateSink.Stat(t.Context(), name); err != nil {
			t.Errorf("%s in the state container: %v", name, err)
		}
		if _, err := archiveSink.Stat(t.Context(), name); !errors.Is(err, archive.ErrNotFound) {
			t.Errorf("%s in the archive container: %v, want ErrNotFound", name, err)
		}
	}

	// The archive through a create-only SAS, the state with its own
	// connection string.
	env = append(env, "ARCHIVE_CONN="+createOnlySAS(t, conn, archiveName), "STATE_CONN="+conn)
	cfg = loadConfig(t, yaml("ARCHIVE_CONN", ", connection_string_env: STATE_CONN"), env...)
	st, err = app.OpenStorage(t.Context(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, found, err := st.State.Load(t.Context(), "contoso", "directory-audits"); !found || err != nil {
		t.Fatalf("state through the state container's connection string: found %v, %v", found, err)
	}
	body := []byte("archived\n")
	sum := sha256.Sum256(body)
	for range 2 { // the second Put is a retry that finds its own blob
		if err := st.Sink.Put(t.Context(), "contoso/a.jsonl", bytes.NewReader(body), int64(len(body)), map[string]string{archive.MetaSHA256: hex.EncodeToString(sum[:])}); err != nil {
			t.Fatalf("Put through the create-only SAS: %v", err)
		}
	}
	if _, err := st.Locker.Acquire(t.Context(), st.Layout.LockName("contoso"), app.LeaseTTL); !errors.Is(err, archive.ErrLeased) {
		t.Fatalf("the lease taken before, through the state container's connection string: %v, want ErrLeased", err)
	}
}

// createOnlySAS is a connection string with a SAS granting read, create and
// list on one container: what an immutable archive container allows.
func createOnlySAS(t *testing.T, keyConn, name string) string {
	t.Helper()
	c, err := container.NewClientFromConnectionString(keyConn, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	sasURL, err := c.GetSASURL(sas.ContainerPermissions{Read: true, Create: true, List: true}, time.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(sasURL)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/"+name)
	return "BlobEndpoint=" + endpoint + ";SharedAccessSignature=" + u.RawQuery
}

// TestCheckOnlineStateContainer: config check --online proves what each
// container must allow. Through a create-only SAS the archive probe is
// written but cannot be deleted, which passes (the archiver never deletes);
// the state container must take a rewrite and a lease, which a create-only
// SAS refuses.
func TestCheckOnlineStateContainer(t *testing.T) {
	conn := testenv.Azurite(t)
	archiveName, stateName := testenv.Container(t), testenv.Container(t)
	for _, name := range []string{archiveName, stateName} {
		if _, err := azblob.New(t.Context(), azblob.Options{ConnectionString: conn, Container: name}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		stateConn string
		ok        bool
		detail    string
	}{
		{conn, true, "wrote, rewrote, leased and deleted _probe/"},
		{createOnlySAS(t, conn, stateName), false, "cannot write and rewrite a document in state container " + stateName},
	} {
		cfg := loadConfig(t, fmt.Sprintf(`
storage: {type: azblob, azblob: {connection_string_env: ARCHIVE_CONN, container: %s}}
state: {type: storage, container: %s, connection_string_env: STATE_CONN}
tenants:
  - name: contoso
    tenant_id: %s
    auth: {client_id: %s, client_secret_env: SIM_SECRET}
    authority_host: http://127.0.0.1:9/
`, archiveName, stateName, testTenantID, testClientID),
			"SIM_SECRET="+testSecret, "ARCHIVE_CONN="+createOnlySAS(t, conn, archiveName), "STATE_CONN="+tc.stateConn)
		got := app.CheckOnline(t.Context(), cfg, app.OnlineOptions{})
		if len(got) < 2 || got[0].Check != app.CheckStorage || got[1].Check != app.CheckState {
			t.Fatalf("results %+v: want the storage check, then the state check", got)
		}
		if !got[0].OK || !strings.Contains(got[0].Detail, "could not delete it") {
			t.Errorf("storage check through a create-only SAS: %+v, want OK with the probe left", got[0])
		}
		if got[1].OK != tc.ok || !strings.Contains(got[1].Detail, tc.detail) {
			t.Errorf("state check: %+v, want OK %v and %q", got[1], tc.ok, tc.detail)
		}
		t.Logf("%s: %s | %s: %s", got[0].Check, got[0].Detail, got[1].Check, got[1].Detail)
	}
}

// TestStateFileKeepsTheLeases: with state.type file the tenant leases are
// taken in the state folder too, so the archive container holds nothing
// mutable (and can be WORM).
func TestStateFileKeepsTheLeases(t *testing.T) {
	conn := testenv.Azurite(t)
	archiveName := testenv.Container(t)
	stateDir := t.TempDir()
	cfg := loadConfig(t, fmt.Sprintf(`
storage: {type: azblob, azblob: {connection_string_env: KEY_CONN, container: %s}}
state: {type: file, path: %s}
tenants:
  - {name: contoso, tenant_id: %s, auth: {client_id: %s, client_secret_env: SIM_SECRET}}
`, archiveName, stateDir, testTenantID, testClientID), "SIM_SECRET="+testSecret, "KEY_CONN="+conn)
	st, err := app.OpenStorage(t.Context(), cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := st.Locker.Acquire(t.Context(), st.Layout.LockName("contoso"), app.LeaseTTL)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(t.Context())
	var names []string
	if err := st.Sink.List(t.Context(), "", func(o archive.Object) error { names = append(names, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Fatalf("the archive container holds %v after taking a lease with state in a folder", names)
	}
	if entries, err := os.ReadDir(filepath.Join(stateDir, "_locks")); err != nil || len(entries) == 0 {
		t.Fatalf("no lease in the state folder: %v %v", entries, err)
	}
}
