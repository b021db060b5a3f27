package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/app"
)

// TestSecurityPrivateTempFolder: the app keeps its temporary files in a
// folder of its own (0700) under the temporary directory, removes at start
// the folder of an archiver process that died with records in it, and its
// own when closed.
func TestSecurityPrivateTempFolder(t *testing.T) {
	tmp := t.TempDir()
	// What a process killed mid-write leaves: its folder, its lock free
	// (the kernel released it), a part file it had not unlinked yet.
	dead := filepath.Join(tmp, "entra-archiver-scratch-999999-1")
	if err := os.Mkdir(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"owner.lock": "999999\n", "entra-archiver-part-1": `{"userPrincipalName":"adele.vance@contoso.com"}`} {
		if err := os.WriteFile(filepath.Join(dead, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := startTenants(t, []tenantSpec{{name: "contoso", id: guid(1), client: guid(101), secret: "temp-Secret~1"}}, 100, nil)
	cfg := f.config(t, "defaults: {start: 6h, rate_limit: {requests: 100, per: 1s}}")
	a, err := app.New(context.Background(), app.Options{Config: cfg, GraphTransport: f.sim.HTTPClient(), TempDir: tmp, SortMemory: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead process's folder is still there: %v", err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "entra-archiver-scratch-"+strconv.Itoa(os.Getpid())+"-") {
		t.Fatalf("the temporary directory holds %v (%v), want the app's folder", entries, err)
	}
	own := filepath.Join(tmp, entries[0].Name())
	if info, err := os.Stat(own); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("the app's folder: %v, %v", info.Mode(), err)
	}
	if err := a.Once(context.Background(), "", ""); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(own); len(left) != 1 || left[0].Name() != "owner.lock" {
		t.Errorf("after the runs the app's folder holds %v", left)
	}
	a.Close()
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("after Close the temporary directory holds %v", left)
	}
}
