// Command entra-archiver keeps Microsoft Entra ID activity logs beyond
// Entra's retention, as a complete and verifiable archive. See README.md.
package main

import (
	"os"

	"github.com/entra-archiver/entra-archiver/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, os.Environ()))
}
