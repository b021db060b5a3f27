package state

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// MaxDocumentBytes bounds a state document as read. A job's state is a few
// KB (its Parts and Lost lists stay short), so a larger document was not
// written by the archiver, and reading it whole could exhaust memory.
const MaxDocumentBytes = 16 << 20

// DocStore keeps each job's state as a JSON document
// ({prefix}_state/{tenant}/{stream}.json) in a sink: for state type "storage"
// the archive's own sink or that of state.container, a local folder for type
// "file".
type DocStore struct {
	Sink   archive.Sink
	Layout layout.Layout
}

var _ Store = DocStore{}

func (d DocStore) Load(ctx context.Context, tenant, stream string) (State, string, bool, error) {
	name := d.Layout.StateName(tenant, stream)
	data, version, err := archive.ReadDocLimit(ctx, d.Sink, name, MaxDocumentBytes)
	if errors.Is(err, archive.ErrNotFound) {
		return State{}, "", false, nil
	}
	if errors.Is(err, archive.ErrTooLarge) {
		return State{}, "", false, fmt.Errorf("state %s is larger than %d MiB, far larger than any state the archiver writes: "+
			"it was written or altered by something else; restore it from a backup or delete it to start this job again from its start: %w",
			name, MaxDocumentBytes>>20, err)
	}
	if err != nil {
		return State{}, "", false, fmt.Errorf("read state %s: %w", name, err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, "", false, fmt.Errorf("state %s is not valid JSON (%w); restore it from a backup or delete it to start this job again from its start", name, err)
	}
	if st.Version > CurrentVersion {
		return State{}, "", false, fmt.Errorf("state %s has schema version %d, newer than this build understands (%d); upgrade entra-archiver", name, st.Version, CurrentVersion)
	}
	return st, version, true, nil
}

func (d DocStore) Save(ctx context.Context, tenant, stream string, st State, version string) (string, error) {
	st.Version = CurrentVersion
	st.Tenant, st.Stream = tenant, stream
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return "", err
	}
	name := d.Layout.StateName(tenant, stream)
	v, err := d.Sink.WriteDoc(ctx, name, append(data, '\n'), version)
	if err != nil {
		return "", fmt.Errorf("write state %s: %w", name, err)
	}
	return v, nil
}

// Jobs implements Store: the documents {prefix}_state/{tenant}/{stream}.json.
// Anything else there (a file of another tool, a deeper folder) is not a
// job's state and is passed over.
func (d DocStore) Jobs(ctx context.Context) ([]Job, error) {
	var jobs []Job
	err := d.Sink.List(ctx, d.Layout.StateDir(), func(o archive.Object) error {
		if tenant, stream, ok := d.Layout.ParseStateName(o.Name); ok {
			jobs = append(jobs, Job{Tenant: tenant, Stream: stream})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list states: %w", err)
	}
	slices.SortFunc(jobs, func(a, b Job) int {
		return cmp.Or(strings.Compare(a.Tenant, b.Tenant), strings.Compare(a.Stream, b.Stream))
	})
	return jobs, nil
}
