package scratch

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// personal is what the files of these tests hold: a sign-in, as a part
// being encoded would.
const personal = `{"userPrincipalName":"adele.vance@contoso.com","ipAddress":"203.0.113.7"}`

// childEnv makes the test binary the child of TestSecurityCrashLeavesNothing:
// it opens its folder under the directory named, writes personal data to a
// scratch file in it, says "ready" and waits to be killed.
const childEnv = "SCRATCH_TEST_CHILD_PARENT"

func TestMain(m *testing.M) {
	if parent := os.Getenv(childEnv); parent != "" {
		os.Exit(child(parent))
	}
	os.Exit(m.Run())
}

func child(parent string) int {
	d, _, err := Open(parent)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	f, err := File(d.Path(), "part-*")
	if err == nil {
		_, err = io.WriteString(f, strings.Repeat(personal+"\n", 1000))
	}
	if err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("ready", d.Path())
	io.Copy(io.Discard, os.Stdin) // until killed
	return 0
}

// TestSecurityCrashLeavesNothing: a process killed (SIGKILL) while it holds
// personal data in a scratch file leaves no file with it, at no moment: the
// file never had a name anyone could open. Its folder is removed by the
// next start, and the folder of a process still running is not.
func TestSecurityCrashLeavesNothing(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows cannot unlink open files or tell a folder's owner dead")
	}
	parent := t.TempDir()
	live, _, err := Open(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+parent)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	folder, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
	if err != nil || !ok {
		cmd.Process.Kill()
		t.Fatalf("child: %q, %v", line, err)
	}
	// While the child holds the data: its folder is private, and no file
	// anywhere under the temporary directory holds the data.
	if info, err := os.Stat(folder); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("the child's folder: %v, %v", info.Mode(), err)
	}
	if found := filesHolding(t, parent, personal); len(found) > 0 {
		t.Errorf("files holding personal data while the child runs: %v", found)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	if found := filesHolding(t, parent, personal); len(found) > 0 {
		t.Errorf("files holding personal data after the kill: %v", found)
	}
	next, removed, err := Open(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if !slices.Equal(removed, []string{folder}) {
		t.Errorf("the next start removed %v, want the killed child's %s", removed, folder)
	}
	for _, d := range []string{live.Path(), next.Path()} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("a running process's folder: %v", err)
		}
	}
	if _, err := os.Stat(folder); !os.IsNotExist(err) {
		t.Errorf("the killed child's folder is still there: %v", err)
	}
}

// TestSecurityCleanupTakesOnlyAbandonedFolders: the start removes a folder
// only if it is named as this package names them, is a real folder of this
// user, and its owner is gone; a symbolic link planted with such a name is
// never followed.
func TestSecurityCleanupTakesOnlyAbandonedFolders(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows: no folder of another process is taken")
	}
	parent := t.TempDir()
	victim := t.TempDir()
	if err := os.WriteFile(filepath.Join(victim, "keep"), []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	mk := func(name string, lock bool, age time.Duration) string {
		p := filepath.Join(parent, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if lock {
			if err := os.WriteFile(filepath.Join(p, lockName), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if age > 0 {
			old := time.Now().Add(-age)
			os.Chtimes(p, old, old)
		}
		return p
	}
	dead := mk(prefix+"4242-1", true, 0)
	oldSetup := mk(prefix+setupMark+"2", false, 2*setupAge)
	youngSetup := mk(prefix+setupMark+"3", false, 0)
	noLock := mk(prefix+"4343-4", false, 2*setupAge)
	other := mk("someone-else-5", true, 2*setupAge)
	link := filepath.Join(parent, prefix+"6")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	// A planted lock file that is a link is not opened.
	linkedLock := mk(prefix+"4444-7", false, 0)
	if err := os.Symlink(filepath.Join(victim, "keep"), filepath.Join(linkedLock, lockName)); err != nil {
		t.Fatal(err)
	}

	d, removed, err := Open(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	slices.Sort(removed)
	if want := []string{dead, oldSetup}; !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, p := range []string{youngSetup, noLock, other, link, linkedLock, filepath.Join(victim, "keep")} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path()); !os.IsNotExist(err) {
		t.Errorf("Close left the folder: %v", err)
	}
}

// TestSecurityFileUnnamed: a scratch file has no name from the moment it
// is returned, is its owner's only, and reads back after a seek (an upload
// reads the encoded part again).
func TestSecurityFileUnnamed(t *testing.T) {
	dir := t.TempDir()
	f, err := File(dir, "part-*")
	if err != nil {
		t.Fatal(err)
	}
	defer Close(f)
	if entries, _ := os.ReadDir(dir); len(entries) != 0 && runtime.GOOS != "windows" {
		t.Errorf("the folder lists %v", entries)
	}
	info, err := f.Stat()
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v", info.Mode(), err)
	}
	if _, err := io.WriteString(f, personal); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(f); string(got) != personal || err != nil {
		t.Errorf("read back %q, %v", got, err)
	}
	// The name, free since File, may be another file's by now: Close
	// leaves that alone.
	if runtime.GOOS != "windows" {
		if err := os.WriteFile(f.Name(), []byte("another"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Close(f); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(f.Name()); string(got) != "another" {
			t.Errorf("Close removed another file of the same name: %q, %v", got, err)
		}
	}
}

// TestSecurityOutputNamedWhenComplete: an export has no name while it is
// written (on Linux), so a crash leaves nothing; Commit gives it its name
// (replacing an earlier export), owner-only; Discard leaves nothing.
func TestSecurityOutputNamedWhenComplete(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "signins.csv")
	if err := os.WriteFile(path, []byte("an earlier export\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := NewOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(o, personal); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); runtime.GOOS == "linux" && len(entries) != 1 {
		t.Errorf("while the export is written, the folder lists %v", names(entries))
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	o.Discard() // after Commit: nothing
	got, err := os.ReadFile(path)
	info, _ := os.Stat(path)
	if string(got) != personal || err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("committed: %q, %v, mode %v", got, err, info.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("after Commit the folder lists %v", names(entries))
	}

	o, err = NewOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(o, "half an export")
	o.Discard()
	if got, _ := os.ReadFile(path); !bytes.Equal(got, []byte(personal)) {
		t.Errorf("a discarded export changed the file: %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("after Discard the folder lists %v", names(entries))
	}
}

// filesHolding lists the regular files under root whose content holds s.
func filesHolding(t *testing.T, root, s string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil //nolint:nilerr // a file gone meanwhile holds nothing
		}
		if data, err := os.ReadFile(p); err == nil && bytes.Contains(data, []byte(s)) {
			found = append(found, p)
		}
		return nil
	})
	return found
}

func names(entries []fs.DirEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name()
	}
	return out
}
