package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// scriptBaseline is the way people archive sign-ins today: a shell loop of
// curl for each page, jq to split the page into lines and to find the
// nextLink, and gzip over the whole output. The token is fetched with curl
// too. Secrets and the token travel through 0600 files, never argv.
const scriptBaseline = `set -euo pipefail
curl -sS --fail --cacert "$CA" --data @"$TOKEN_FORM" "$TOKEN_URL" | jq -r .access_token > "$WORK/token"
printf 'Authorization: Bearer %s\n' "$(cat "$WORK/token")" > "$WORK/auth-header"
url="$FIRST_URL"
while [ -n "$url" ]; do
	curl -sS --fail --cacert "$CA" -H @"$WORK/auth-header" -H 'Prefer: include-unknown-enum-members' -o "$WORK/page.json" "$url"
	jq -c '.value[]' "$WORK/page.json"
	url=$(jq -r '."@odata.nextLink" // empty' "$WORK/page.json")
done | gzip > "$OUT"
`

// scriptTools are the Debian packages the baseline needs.
var scriptTools = []string{"bash", "curl", "jq", "gzip"}

// checkScriptTools reports the first missing tool.
func checkScriptTools() error {
	for _, t := range scriptTools {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("the curl+jq+gzip baseline needs %s (apt-get install -y curl jq gzip): %w", t, err)
		}
	}
	return nil
}

// runScript runs the baseline for ti from first into out (jsonl.gz). The
// times include every curl, jq and gzip the shell started: each is reaped
// by its parent, and the kernel adds reaped children to the parent's
// account.
func runScript(ctx context.Context, dir string, sim *graphsim.Server, ti tenantIdentity, first, out string) (Usage, error) {
	if err := checkScriptTools(); err != nil {
		return Usage{}, err
	}
	work := filepath.Join(dir, "script")
	if err := os.MkdirAll(work, 0o700); err != nil {
		return Usage{}, err
	}
	defer os.RemoveAll(work)
	form, err := writeSecretFile(work, "token-form", tokenForm(sim, ti))
	if err != nil {
		return Usage{}, err
	}
	cmd := exec.CommandContext(ctx, "bash", "-c", scriptBaseline)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "CA=" + sim.CAFile(), "TOKEN_FORM=" + form, "TOKEN_URL=" + tokenURL(sim, ti),
		"WORK=" + work, "FIRST_URL=" + first, "OUT=" + out,
	}
	cmd.WaitDelay = 10 * time.Second
	return measure(cmd, 0)
}
