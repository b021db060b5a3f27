// Package azblob is the archive sink for an Azure Blob Storage container
// (or Azurite). Blobs are written create-only (If-None-Match: *), so the
// archive works in an immutable (WORM) container; a whole-blob Content-MD5
// and the contract metadata go with every blob. Bodies above a threshold are
// uploaded as staged blocks with bounded concurrency and constant memory and
// committed create-only. Documents use the blob's ETag for optimistic
// concurrency, and locks are blob leases.
//
// SDK errors are translated here into the archive package's sentinel errors
// and stripped to status and error code, so callers never import the SDK and
// no URL query (a SAS) or signature diagnostics reach a log.
package azblob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// Defaults for staged uploads: peak buffer memory of one Put is
// Concurrency × BlockSize.
const (
	DefaultBlockThreshold = 32 << 20
	DefaultBlockSize      = 4 << 20
	DefaultConcurrency    = 4
)

// DefaultTryTimeout bounds one try of a storage call, its body included, so
// a silent endpoint cannot hang a job: azcore's 3 retries give up within
// about 8 minutes. It leaves room for the largest single request (a put of
// DefaultBlockThreshold at 0.3 MB/s), and a download that runs out of it
// resumes where it stopped (Open's ranged retries).
const DefaultTryTimeout = 2 * time.Minute

// Options configures a Sink. Give either ConnectionString, or AccountURL
// with Credential (or with a SAS in its query).
type Options struct {
	// ConnectionString with an account key or a SAS (Azurite too). Secret:
	// never logged.
	ConnectionString string
	// AccountURL such as https://acct.blob.core.windows.net.
	AccountURL string
	// Credential authenticates AccountURL (managed identity and the like).
	Credential azcore.TokenCredential
	// Container holds the archive; it is created (private) if missing,
	// unless MustExist.
	Container string
	// MustExist makes a missing container an error instead of creating it
	// (commands that only read, where a typo must not make a new container).
	MustExist bool
	// AccessTier of new blobs: "" (the account's default), Hot, Cool, Cold
	// or Archive.
	AccessTier string
	// ClientOptions tune the SDK pipeline (tests lower retries). Whatever
	// they say, no redirect is followed (package egress), and a zero
	// Retry.TryTimeout means DefaultTryTimeout.
	ClientOptions *azcore.ClientOptions
	// Logger; nil logs nothing.
	Logger *zap.Logger

	// BlockThreshold: bodies larger than this are uploaded in staged
	// blocks (0 = DefaultBlockThreshold).
	BlockThreshold int64
	// BlockSize of staged blocks (0 = DefaultBlockSize).
	BlockSize int64
	// Concurrency: staged blocks in flight per Put (0 = DefaultConcurrency).
	Concurrency int
}

// auth is how the sink authenticates; it decides what a 403 asks the user
// to fix.
type auth int

const (
	authKey auth = iota
	authSAS
	authToken
)

// Sink stores blobs in one container.
type Sink struct {
	container      *container.Client
	name           string
	auth           auth
	tier           *blob.AccessTier
	log            *zap.Logger
	blockThreshold int64
	blockSize      int64
	concurrency    int
}

var (
	_ archive.Sink   = (*Sink)(nil)
	_ archive.Locker = (*Sink)(nil)
)

var containerName = regexp.MustCompile(`^[a-z0-9]([a-z0-9]|-[a-z0-9]){2,62}$`)

// New connects to the container and proves the connection by reading its
// properties. A missing container is created with no public access, and the
// log says so.
func New(ctx context.Context, o Options) (*Sink, error) {
	if !containerName.MatchString(o.Container) {
		return nil, fmt.Errorf("container name %q is not valid: 3-63 characters of a-z, 0-9 and single hyphens, starting and ending with a letter or digit", o.Container)
	}
	tier, err := parseTier(o.AccessTier)
	if err != nil {
		return nil, err
	}
	s := &Sink{
		name:           o.Container,
		tier:           tier,
		log:            o.Logger,
		blockThreshold: orDefault(o.BlockThreshold, DefaultBlockThreshold),
		blockSize:      orDefault(o.BlockSize, DefaultBlockSize),
		concurrency:    int(orDefault(int64(o.Concurrency), DefaultConcurrency)),
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.log = s.log.Named("azblob").With(zap.String("container", o.Container))
	if s.container, s.auth, err = newClient(o); err != nil {
		return nil, err
	}
	if err := s.ensureContainer(ctx, o.MustExist); err != nil {
		return nil, err
	}
	return s, nil
}

func orDefault(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}

func parseTier(t string) (*blob.AccessTier, error) {
	if t == "" {
		return nil, nil
	}
	for _, v := range []blob.AccessTier{blob.AccessTierHot, blob.AccessTierCool, blob.AccessTierCold, blob.AccessTierArchive} {
		if strings.EqualFold(t, string(v)) {
			return &v, nil
		}
	}
	return nil, fmt.Errorf("access tier %q is not one of Hot, Cool, Cold, Archive", t)
}

// clientOptions are the SDK options of the sink's client: the caller's,
// with a bounded try and a transport that follows no redirect. Azure
// Storage does not redirect blob requests; following one would send the
// SAS or bearer token, or the archive's bytes, wherever it pointed.
func clientOptions(o Options) *container.ClientOptions {
	opts := &container.ClientOptions{}
	if o.ClientOptions != nil {
		opts.ClientOptions = *o.ClientOptions
	}
	if opts.Retry.TryTimeout == 0 {
		opts.Retry.TryTimeout = DefaultTryTimeout
	}
	opts.Transport = egress.Transport(opts.Transport)
	return opts
}

func newClient(o Options) (*container.Client, auth, error) {
	opts := clientOptions(o)
	switch {
	case o.ConnectionString != "" && o.AccountURL != "":
		return nil, 0, errors.New("azblob: give a connection string or an account URL, not both")
	case o.ConnectionString != "":
		c, err := container.NewClientFromConnectionString(o.ConnectionString, o.Container, opts)
		if err != nil {
			// The SDK's parse errors quote no part of the string, but keep
			// the message ours so no future one can leak it.
			return nil, 0, errors.New("azblob: the connection string is malformed: it needs AccountName or BlobEndpoint, and AccountKey or SharedAccessSignature")
		}
		if strings.Contains(strings.ToLower(o.ConnectionString), "sharedaccesssignature=") {
			return c, authSAS, nil
		}
		return c, authKey, nil
	case o.AccountURL != "":
		u, err := url.Parse(o.AccountURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, 0, errors.New("azblob: the account URL is not a URL like https://account.blob.core.windows.net")
		}
		u.Path = strings.TrimSuffix(u.Path, "/") + "/" + o.Container
		if o.Credential != nil {
			c, err := container.NewClient(u.String(), o.Credential, opts)
			return c, authToken, err
		}
		if !u.Query().Has("sig") {
			return nil, 0, errors.New("azblob: an account URL needs a credential (managed identity, workload identity, Azure CLI) or a SAS in its query")
		}
		c, err := container.NewClientWithNoCredential(u.String(), opts)
		return c, authSAS, err
	default:
		return nil, 0, errors.New("azblob: no connection string and no account URL given")
	}
}

// ensureContainer proves access and creates a missing container (unless
// mustExist). A SAS scoped to the container cannot read container
// properties; for one, being able to list blobs is the proof.
func (s *Sink) ensureContainer(ctx context.Context, mustExist bool) error {
	_, err := s.container.GetProperties(ctx, nil)
	switch {
	case err == nil:
		return nil
	case bloberror.HasCode(err, bloberror.ContainerNotFound) && mustExist:
		return fmt.Errorf("azblob: container %s does not exist (check storage.azblob.container and the account; run, once and backfill create it): %w",
			s.name, archive.ErrNotFound)
	case bloberror.HasCode(err, bloberror.ContainerNotFound):
		_, err = s.container.Create(ctx, nil) // no Access option: private
		if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
			return s.fail("create container", s.name, err)
		}
		s.log.Info("created the container with no public access")
		return nil
	case s.auth == authSAS && statusOf(err) == 403:
		if s.canList(ctx) {
			return nil
		}
	}
	return s.fail("open container", s.name, err)
}

func (s *Sink) canList(ctx context.Context) bool {
	one := int32(1)
	pager := s.container.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{MaxResults: &one})
	_, err := pager.NextPage(ctx)
	return err == nil
}

// Check implements archive.Sink: the container must be reachable with the
// sink's credentials. It writes nothing, so it is safe for readiness probes
// on an immutable container.
func (s *Sink) Check(ctx context.Context) error {
	_, err := s.container.GetProperties(ctx, nil)
	if err == nil || s.auth == authSAS && statusOf(err) == 403 && s.canList(ctx) {
		return nil
	}
	return s.fail("check container", s.name, err)
}
