package state_test

import (
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
	"github.com/entra-archiver/entra-archiver/internal/state/statetest"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func localSink(t *testing.T) archive.Sink {
	t.Helper()
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func azuriteSink(t *testing.T) archive.Sink {
	t.Helper()
	s, err := azblob.New(t.Context(), azblob.Options{
		ConnectionString: testenv.Azurite(t),
		Container:        testenv.Container(t),
		// Fail fast rather than retry for ~17 s if Azurite is gone.
		ClientOptions: &azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 50 * time.Millisecond}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var sinks = []struct {
	name string
	new  func(t *testing.T) archive.Sink
}{
	{"local", localSink},
	{"azblob", azuriteSink},
}

func TestDocStore(t *testing.T) {
	for _, sk := range sinks {
		t.Run(sk.name, func(t *testing.T) {
			statetest.Run(t, func(t *testing.T) state.Store {
				return state.DocStore{Sink: sk.new(t), Layout: layout.Layout{Prefix: "entra/"}}
			})
		})
	}
}

// TestDocStoreDocument: the state lives at the layout's state name, and a
// damaged or newer document is refused with what to do.
func TestDocStoreDocument(t *testing.T) {
	for _, sk := range sinks {
		t.Run(sk.name, func(t *testing.T) {
			sink := sk.new(t)
			l := layout.Layout{Prefix: "entra/"}
			st := state.DocStore{Sink: sink, Layout: l}
			v, err := st.Save(t.Context(), "contoso", "provisioning", state.State{}, "")
			if err != nil {
				t.Fatal(err)
			}
			data, dv, err := sink.ReadDoc(t.Context(), "entra/_state/contoso/provisioning.json")
			if err != nil || dv != v || !strings.Contains(string(data), `"stream": "provisioning"`) {
				t.Fatalf("state document = %s (version %q, err %v), want the saved state at version %q", data, dv, err, v)
			}
			for _, tc := range []struct{ doc, want string }{
				{`{"version": 1, "watermark": `, "is not valid JSON"},
				{`{"version": 99}`, "upgrade entra-archiver"},
			} {
				if v, err = sink.WriteDoc(t.Context(), l.StateName("contoso", "provisioning"), []byte(tc.doc), v); err != nil {
					t.Fatal(err)
				}
				_, _, _, err := st.Load(t.Context(), "contoso", "provisioning")
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Load of %s = %v, want an error saying %q", tc.doc, err, tc.want)
				}
			}
		})
	}
}
