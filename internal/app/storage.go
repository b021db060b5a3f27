package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/credential"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// Storage is the archive as configured: its sink, blob layout and job state,
// and where the tenant leases are taken.
type Storage struct {
	Sink   archive.Sink
	Layout layout.Layout
	State  state.Store
	// Locker takes the tenant leases where the state is: the state
	// container, the state folder, else the archive's sink; nil if that
	// cannot lease.
	Locker archive.Locker
}

// OpenStorage connects to the configured archive and state without wiring
// any Graph client: what status, verify and export need.
func OpenStorage(ctx context.Context, cfg *config.Config, client *azcore.ClientOptions, log *zap.Logger) (*Storage, error) {
	return openStorage(ctx, cfg, client, log, false)
}

// OpenArchive opens the storage of an archive that must already exist, for
// the commands that only read it (status, verify, export): a mistyped
// folder or container is an error, not a new empty archive.
func OpenArchive(ctx context.Context, cfg *config.Config, log *zap.Logger) (*Storage, error) {
	return openStorage(ctx, cfg, nil, log, true)
}

func openStorage(ctx context.Context, cfg *config.Config, client *azcore.ClientOptions, log *zap.Logger, mustExist bool) (*Storage, error) {
	if log == nil {
		log = zap.NewNop()
	}
	// How the account is reached, shared by the archive container and a
	// state container.
	var account azblob.Options
	if cfg.Storage.Type == "azblob" {
		var err error
		if account, err = azblobAccount(cfg.Storage.Azblob); err != nil {
			return nil, err
		}
		account.ClientOptions, account.MustExist = client, mustExist
	}
	sink, l, err := openSink(ctx, cfg.Storage, account, mustExist, log.Named("storage"))
	if err != nil {
		return nil, err
	}
	st, locker, err := openState(ctx, cfg.State, sink, l, account, log.Named("state"))
	if err != nil {
		return nil, err
	}
	return &Storage{Sink: sink, Layout: l, State: st, Locker: locker}, nil
}

// azblobAccount is how the configured account is reached: a connection
// string, or the account URL with an Entra credential.
func azblobAccount(c config.Azblob) (azblob.Options, error) {
	if c.AccountURL != "" {
		cred, err := credential.ForStorage(c, nil)
		if err != nil {
			return azblob.Options{}, fmt.Errorf("storage.azblob.auth: %w", err)
		}
		return azblob.Options{AccountURL: c.AccountURL, Credential: cred}, nil
	}
	cs, err := c.ResolveConnectionString()
	if err != nil {
		return azblob.Options{}, err
	}
	return azblob.Options{ConnectionString: cs}, nil
}

// openSink connects to the configured storage; account reaches an azblob
// one.
func openSink(ctx context.Context, c config.Storage, account azblob.Options, mustExist bool, log *zap.Logger) (archive.Sink, layout.Layout, error) {
	switch c.Type {
	case "local":
		var opts []local.Option
		if mustExist {
			opts = append(opts, local.MustExist())
		}
		s, err := local.New(c.Local.Path, opts...)
		return s, layout.Layout{}, err
	case "azblob":
		o := account
		o.Container, o.AccessTier, o.Logger = c.Azblob.Container, c.Azblob.AccessTier, log
		s, err := azblob.New(ctx, o)
		if err != nil {
			return nil, layout.Layout{}, err
		}
		return s, layout.Layout{Prefix: c.Azblob.Prefix}, nil
	}
	return nil, layout.Layout{}, fmt.Errorf("storage.type: unknown type %q", c.Type)
}

// openState opens the state store and the tenant leases' locker: documents
// and leases beside the archive, both in a second container
// (state.container), or both in a local folder (state.type file).
func openState(ctx context.Context, c config.State, sink archive.Sink, l layout.Layout, account azblob.Options, log *zap.Logger) (state.Store, archive.Locker, error) {
	locker, _ := sink.(archive.Locker)
	switch {
	case c.Type == "file":
		// The leases go with the state: the folder is one host's, and the
		// archive container is then free of mutable blobs (WORM).
		s, err := local.New(c.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("state.path: %w", err)
		}
		return state.DocStore{Sink: s}, s, nil
	case c.Type != "storage" && c.Type != "":
		return nil, nil, errors.New("state.type: unknown type " + c.Type)
	case c.Container == "":
		return state.DocStore{Sink: sink, Layout: l}, locker, nil
	}
	s, err := openStateContainer(ctx, c, account, log)
	if err != nil {
		return nil, nil, err
	}
	return state.DocStore{Sink: s, Layout: l}, s, nil
}

// openStateContainer connects to state.container with its own connection
// string, or as the archive's container is reached. Like the archive
// container it is created private when missing, unless it must exist.
func openStateContainer(ctx context.Context, c config.State, account azblob.Options, log *zap.Logger) (*azblob.Sink, error) {
	if account.ConnectionString == "" && account.AccountURL == "" {
		return nil, errors.New("state.container: only used with storage type azblob")
	}
	cs, err := c.ResolveConnectionString()
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	o := account
	if cs != "" {
		o = azblob.Options{ConnectionString: cs, ClientOptions: account.ClientOptions, MustExist: account.MustExist}
	}
	o.Container, o.AccessTier, o.Logger = c.Container, "", log
	s, err := azblob.New(ctx, o)
	switch {
	case errors.Is(err, archive.ErrNotFound):
		return nil, fmt.Errorf("state.container: container %s does not exist (check state.container and the account; run, once and backfill create it): %w",
			c.Container, archive.ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("state.container %s: %w", c.Container, err)
	}
	return s, nil
}
