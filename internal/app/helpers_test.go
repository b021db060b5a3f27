package app_test

import (
	"context"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

func readState(t *testing.T, sink archive.Sink, stream string) state.State {
	t.Helper()
	st, _, found, err := state.DocStore{Sink: sink, Layout: layout.Layout{}}.Load(context.Background(), "contoso", stream)
	if err != nil || !found {
		t.Fatalf("state of %s: found=%v err=%v", stream, found, err)
	}
	return st
}
