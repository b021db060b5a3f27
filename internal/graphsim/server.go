package graphsim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Server is a running simulated Graph and token endpoint on one TLS
// listener.
type Server struct {
	opts      Options
	now       func() time.Time
	certs     *certs
	ln        net.Listener
	httpSrv   *http.Server
	base      string // https://127.0.0.1:PORT
	caFile    string
	tempDir   string // removed on Close; "" when Options.Dir was given
	client    *http.Client
	tenants   map[string]*Tenant // by lower-case tenant id
	signer    *ecdsa.PrivateKey
	cursorKey []byte
	app       *window   // arrivals across tenants
	appLimit  *Throttle // nil without AppThrottle

	done      chan struct{}
	closeOnce sync.Once
	serveErr  chan error
}

// Start configures the tenants and starts serving. The listener is open when
// Start returns.
func Start(opts Options) (*Server, error) {
	s := &Server{opts: opts, now: opts.Now, tenants: map[string]*Tenant{}, done: make(chan struct{}), serveErr: make(chan error, 1)}
	if s.now == nil {
		s.now = time.Now
	}
	if err := opts.AppThrottle.validate(); err != nil {
		return nil, fmt.Errorf("graphsim: app throttle: %w", err)
	}
	if err := checkManagedIdentities(opts.Tenants); err != nil {
		return nil, err
	}
	s.app = newWindow(defaultStatsWindow)
	if opts.AppThrottle != nil {
		t := *opts.AppThrottle
		s.appLimit = &t
		s.app = newWindow(t.Per)
	}
	var err error
	if s.certs, err = newCerts(); err != nil {
		return nil, fmt.Errorf("graphsim: %w", err)
	}
	if s.signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, fmt.Errorf("graphsim: %w", err)
	}
	s.cursorKey = make([]byte, 32)
	if _, err := rand.Read(s.cursorKey); err != nil {
		return nil, fmt.Errorf("graphsim: %w", err)
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if s.ln, err = net.Listen("tcp", addr); err != nil {
		return nil, fmt.Errorf("graphsim: listen: %w", err)
	}
	port := s.ln.Addr().(*net.TCPAddr).Port
	s.base = fmt.Sprintf("https://127.0.0.1:%d", port)
	for i := range opts.Tenants {
		cfg := opts.Tenants[i]
		if err := cfg.validate(); err != nil {
			s.ln.Close()
			return nil, fmt.Errorf("graphsim: %w", err)
		}
		key := strings.ToLower(cfg.ID)
		if _, dup := s.tenants[key]; dup {
			s.ln.Close()
			return nil, fmt.Errorf("graphsim: tenant %s configured twice", cfg.ID)
		}
		s.tenants[key] = newTenant(s, cfg)
	}
	if err := s.writeCAFile(); err != nil {
		s.ln.Close()
		return nil, err
	}
	s.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: s.certs.pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
	}}
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		// HTTP/1.1 only: faults act on the connection (resets, truncated
		// bodies), which HTTP/2 would turn into stream errors.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		TLSConfig:    &tls.Config{Certificates: []tls.Certificate{s.certs.leaf}, MinVersion: tls.VersionTLS12},
		ErrorLog:     log.New(io.Discard, "", 0),
	}
	go func() { s.serveErr <- s.httpSrv.ServeTLS(s.ln, "", "") }()
	return s, nil
}

func (s *Server) writeCAFile() error {
	dir := s.opts.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "graphsim-")
		if err != nil {
			return fmt.Errorf("graphsim: %w", err)
		}
		dir, s.tempDir = tmp, tmp
	}
	s.caFile = filepath.Join(dir, "graphsim-ca.pem")
	if err := os.WriteFile(s.caFile, s.certs.caPEM, 0o644); err != nil {
		if s.tempDir != "" {
			os.RemoveAll(s.tempDir)
		}
		return fmt.Errorf("graphsim: write CA file: %w", err)
	}
	return nil
}

// Close stops the server, closes its listener and live connections, wakes
// stalled responses and removes the temp dir. It is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.httpSrv.Close()
		if err := <-s.serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("graphsim: serve: %v", err)
		}
		s.client.CloseIdleConnections()
		if s.tempDir != "" {
			os.RemoveAll(s.tempDir)
		}
	})
}

// GraphURL is the Graph root, "https://127.0.0.1:PORT" (no version, no
// trailing slash).
func (s *Server) GraphURL() string { return s.base }

// AuthorityHost is the authority host for azidentity, "https://127.0.0.1:PORT/".
func (s *Server) AuthorityHost() string { return s.base + "/" }

// CAFile is the PEM file of the self-signed CA.
func (s *Server) CAFile() string { return s.caFile }

// CertPool trusts the server's CA.
func (s *Server) CertPool() *x509.CertPool { return s.certs.pool }

// HTTPClient trusts the server's CA; it can serve as an azcore Transport.
func (s *Server) HTTPClient() *http.Client { return s.client }

// Tenant returns the tenant with the id, or nil.
func (s *Server) Tenant(id string) *Tenant { return s.tenants[strings.ToLower(id)] }

// AppStats counts Graph requests across all tenants; MaxInWindow uses the
// AppThrottle window (10s without one).
func (s *Server) AppStats() Stats {
	st := Stats{ByStatus: map[int]int{}}
	for _, t := range s.tenants {
		ts := t.Stats()
		st.Requests += ts.Requests
		st.Throttled += ts.Throttled
		st.TokenRequests += ts.TokenRequests
		for k, v := range ts.ByStatus {
			st.ByStatus[k] += v
		}
	}
	st.MaxInWindow = s.app.maxSeen()
	return st
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// ServeHTTP routes token-endpoint and Graph requests. Paths are matched case
// insensitively, as Graph does.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(segs) > 0 && isGraphVersion(segs[0]):
		s.serveGraph(rec, r, segs)
	case len(segs) == 4 && strings.EqualFold(segs[1], "v2.0") && strings.EqualFold(segs[2], ".well-known") && strings.EqualFold(segs[3], "openid-configuration"):
		s.serveDiscovery(rec, r, segs[0])
	case len(segs) == 4 && strings.EqualFold(segs[1], "oauth2") && strings.EqualFold(segs[2], "v2.0") && strings.EqualFold(segs[3], "token"):
		s.serveToken(rec, r, segs[0])
	case strings.EqualFold(r.URL.Path, managedIdentityPath):
		s.serveManagedIdentity(rec, r)
	case len(segs) == 4 && strings.EqualFold(segs[1], "discovery") && strings.EqualFold(segs[2], "v2.0") && strings.EqualFold(segs[3], "keys"):
		s.serveKeys(rec, r)
	default:
		s.graphError(rec, r, http.StatusNotFound, "UnknownError", fmt.Sprintf("Resource not found for the segment '%s'.", segs[0]))
	}
	// Never log the query of token requests or any header: only the path.
	s.logf("graphsim: %s %s -> %d (%s)", r.Method, r.URL.Path, rec.status, time.Since(start).Round(time.Microsecond))
}

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Hijack).
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func isGraphVersion(s string) bool {
	return strings.EqualFold(s, "v1.0") || strings.EqualFold(s, "beta")
}
