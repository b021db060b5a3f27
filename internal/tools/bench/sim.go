package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// benchSecret is the client secret of every simulated tenant's app. It is
// handed to children through the environment or a 0600 file, never argv.
const benchSecret = "bench-Secret~0123456789abcdefXYZ"

// secretEnv names the variable the archiver's config reads the secret from.
const secretEnv = "BENCH_CLIENT_SECRET"

// tenantIdentity is a simulated tenant as the config names it.
type tenantIdentity struct {
	Name     string // config name
	ID       string // tenant GUID
	ClientID string
}

// benchTenant returns the i-th tenant identity (deterministic GUIDs).
func benchTenant(i int) tenantIdentity {
	return tenantIdentity{
		Name:     fmt.Sprintf("t%03d", i),
		ID:       fmt.Sprintf("%08x-b0b0-4000-8000-%012x", 0x7e000000+i, i),
		ClientID: fmt.Sprintf("%08x-c1c1-4000-8000-%012x", 0x5e000000+i, i),
	}
}

// simTenant is the graphsim configuration of a bench tenant; the caller
// fills in volume, throttle and the rest.
func (ti tenantIdentity) simTenant(seed int64) graphsim.TenantConfig {
	return graphsim.TenantConfig{ID: ti.ID, ClientID: ti.ClientID, ClientSecret: benchSecret, Seed: seed}
}

// startSim starts graphsim with its CA file in dir.
func startSim(dir string, opts graphsim.Options) (*graphsim.Server, error) {
	opts.Dir = dir
	return graphsim.Start(opts)
}

// tokenForm is the client-credentials request body for ti, URL-encoded.
func tokenForm(sim *graphsim.Server, ti tenantIdentity) string {
	return url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {ti.ClientID},
		"client_secret": {benchSecret},
		"scope":         {sim.GraphURL() + "/.default"},
	}.Encode()
}

// tokenURL is ti's token endpoint on sim.
func tokenURL(sim *graphsim.Server, ti tenantIdentity) string {
	return sim.AuthorityHost() + ti.ID + "/oauth2/v2.0/token"
}

// fetchToken gets an access token for ti from sim.
func fetchToken(ctx context.Context, sim *graphsim.Server, ti tenantIdentity) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL(sim, ti), strings.NewReader(tokenForm(sim, ti)))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := sim.HTTPClient().Do(req)
	if err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		return "", fmt.Errorf("token: status %d: %w", resp.StatusCode, err)
	}
	return body.AccessToken, nil
}

// writeSecretFile writes content to a new 0600 file in dir.
func writeSecretFile(dir, name, content string) (string, error) {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		return "", err
	}
	return p, nil
}
