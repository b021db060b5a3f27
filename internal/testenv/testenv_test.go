package testenv_test

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Azure's rule: 3-63 characters, lower-case letters, digits and single
// hyphens, starting and ending with a letter or digit.
var validContainer = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestContainer(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range []string{"Plain", "With_Under__Scores", "-Leading", "Ünïcode", "x", strings.Repeat("Long", 40)} {
		t.Run(name, func(t *testing.T) {
			for range 3 {
				c := testenv.Container(t)
				if len(c) < 3 || len(c) > 63 || !validContainer.MatchString(c) {
					t.Fatalf("Container() = %q: not a valid container name", c)
				}
				if seen[c] {
					t.Fatalf("Container() = %q twice", c)
				}
				seen[c] = true
			}
		})
	}
}

func client(t *testing.T, connectionString string) *azblob.Client {
	t.Helper()
	opts := &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{MaxRetries: -1, TryTimeout: 5 * time.Second},
	}}
	c, err := azblob.NewClientFromConnectionString(connectionString, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func roundTrip(t *testing.T, c *azblob.Client, container string) {
	t.Helper()
	ctx := t.Context()
	if _, err := c.CreateContainer(ctx, container, nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	if _, err := c.UploadBuffer(ctx, container, "hello.txt", []byte("hello"), nil); err != nil {
		t.Fatalf("upload: %v", err)
	}
	wantBlob(t, c, container, "hello.txt", "hello")
}

func wantBlob(t *testing.T, c *azblob.Client, container, name, want string) {
	t.Helper()
	resp, err := c.DownloadStream(t.Context(), container, name, nil)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || string(got) != want {
		t.Fatalf("download = %q, %v; want %q", got, err, want)
	}
}

func TestAzurite(t *testing.T) {
	cs := testenv.Azurite(t)
	if !strings.Contains(cs, "BlobEndpoint=http://") {
		t.Fatalf("connection string has no BlobEndpoint")
	}
	if again := testenv.Azurite(t); again != cs {
		t.Fatal("a second call started another Azurite")
	}
	roundTrip(t, client(t, cs), testenv.Container(t))
}

// TestStartAzurite stops and restarts a dedicated Azurite: requests fail
// while it is down, and data written before survives.
func TestStartAzurite(t *testing.T) {
	az := testenv.StartAzurite(t, "")
	c := client(t, az.ConnectionString())
	container := testenv.Container(t)
	roundTrip(t, c, container)

	az.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := c.DownloadStream(ctx, container, "hello.txt", nil); err == nil {
		t.Fatal("download from a stopped Azurite succeeded")
	}
	az.Start()
	wantBlob(t, c, container, "hello.txt", "hello")
}
