package state_test

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// TestSecurityStateDocumentBounded: a state document far larger than any
// the archiver writes (someone with write access to the state put 64 MiB
// there) is refused with what to do, after reading no more than the bound.
func TestSecurityStateDocumentBounded(t *testing.T) {
	for _, sk := range sinks {
		t.Run(sk.name, func(t *testing.T) {
			sink := sk.new(t)
			l := layout.Layout{Prefix: "entra/"}
			st := state.DocStore{Sink: sink, Layout: l}
			v, err := st.Save(t.Context(), "contoso", "provisioning", state.State{}, "")
			if err != nil {
				t.Fatal(err)
			}
			// Built and written in a call of its own, so the 64 MiB are
			// garbage before the measurement.
			writeHuge := func() error {
				huge := append([]byte(`{"version": 1, "lost": [`), bytes.Repeat([]byte(" "), 64<<20)...)
				_, err := sink.WriteDoc(t.Context(), l.StateName("contoso", "provisioning"), huge, v)
				return err
			}
			if err := writeHuge(); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, _, _, err = st.Load(t.Context(), "contoso", "provisioning")
			runtime.ReadMemStats(&after)
			if !errors.Is(err, archive.ErrTooLarge) || !strings.Contains(err.Error(), "larger than 16 MiB") {
				t.Fatalf("Load = %v, want ErrTooLarge saying the bound", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2*state.MaxDocumentBytes {
				t.Errorf("Load allocated %d MiB for a %d MiB bound", alloc>>20, state.MaxDocumentBytes>>20)
			}
		})
	}
}
