package testenv

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Unreachable are https endpoints that fail the way networks fail, for
// the tests of what an error says about it. Each is a real listener (or
// name) on this machine.
type Unreachable struct {
	// Refused is a port nothing listens on.
	Refused string
	// NoSuchHost is a name in .invalid, which no DNS resolves (RFC 6761).
	NoSuchHost string
	// Untrusted is a TLS server whose self-signed certificate no client
	// trusts.
	Untrusted string
	// Silent accepts connections and never says a word, not even TLS's.
	Silent string
}

// NewUnreachable starts the listeners behind Unreachable; they stop with
// the test.
func NewUnreachable(t testing.TB) Unreachable {
	t.Helper()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "https://" + closed.Addr().String()
	closed.Close()

	untrusted := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the clients' "bad certificate" is the point
	untrusted.StartTLS()
	t.Cleanup(untrusted.Close)

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		silent.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return Unreachable{
		Refused:    refused,
		NoSuchHost: "https://entra-archiver-test.invalid",
		Untrusted:  untrusted.URL,
		Silent:     "https://" + silent.Addr().String(),
	}
}
