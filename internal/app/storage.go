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

// Storage is the archive as configured: its sink, blob layout and job state.
type Storage struct {
	Sink   archive.Sink
	Layout layout.Layout
	State  state.Store
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
	sink, l, err := openSink(ctx, cfg.Storage, client, log.Named("storage"), mustExist)
	if err != nil {
		return nil, err
	}
	st, err := openState(cfg.State, sink, l)
	if err != nil {
		return nil, err
	}
	return &Storage{Sink: sink, Layout: l, State: st}, nil
}

// openSink connects to the configured storage.
func openSink(ctx context.Context, c config.Storage, client *azcore.ClientOptions, log *zap.Logger, mustExist bool) (archive.Sink, layout.Layout, error) {
	switch c.Type {
	case "local":
		var opts []local.Option
		if mustExist {
			opts = append(opts, local.MustExist())
		}
		s, err := local.New(c.Local.Path, opts...)
		return s, layout.Layout{}, err
	case "azblob":
		o := azblob.Options{
			Container: c.Azblob.Container, AccessTier: c.Azblob.AccessTier, MustExist: mustExist,
			ClientOptions: client, Logger: log,
		}
		if c.Azblob.AccountURL != "" {
			o.AccountURL = c.Azblob.AccountURL
			cred, err := credential.ForStorage(c.Azblob, nil)
			if err != nil {
				return nil, layout.Layout{}, fmt.Errorf("storage.azblob.auth: %w", err)
			}
			o.Credential = cred
		} else {
			cs, err := c.Azblob.ResolveConnectionString()
			if err != nil {
				return nil, layout.Layout{}, err
			}
			o.ConnectionString = cs
		}
		s, err := azblob.New(ctx, o)
		if err != nil {
			return nil, layout.Layout{}, err
		}
		return s, layout.Layout{Prefix: c.Azblob.Prefix}, nil
	}
	return nil, layout.Layout{}, fmt.Errorf("storage.type: unknown type %q", c.Type)
}

// openState opens the state store: documents beside the archive, or in a
// local folder.
func openState(c config.State, sink archive.Sink, l layout.Layout) (state.Store, error) {
	switch c.Type {
	case "storage", "":
		return state.DocStore{Sink: sink, Layout: l}, nil
	case "file":
		s, err := local.New(c.Path)
		if err != nil {
			return nil, fmt.Errorf("state.path: %w", err)
		}
		return state.DocStore{Sink: s}, nil
	}
	return nil, errors.New("state.type: unknown type " + c.Type)
}
