package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary files to Load. Load must never panic; it either
// returns a config or an *Errors with sorted, non-empty problems.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	env := append([]string{"ENTRA_ARCHIVER_TENANTS__0__RATE_LIMIT__PER=1s"}, configsEnv...)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, _, err := Load(path, env)
		if err == nil {
			if c == nil {
				t.Fatal("nil config without error")
			}
			_ = c.Redacted()
			return
		}
		var errs *Errors
		if !errors.As(err, &errs) || len(errs.Problems) == 0 {
			t.Fatalf("error %v is not a non-empty *Errors", err)
		}
		for i, p := range errs.Problems {
			if p.Message == "" {
				t.Errorf("problem %d has no message", i)
			}
			if i > 0 && comparePaths(errs.Problems[i-1].Path, p.Path) > 0 {
				t.Errorf("problems not sorted: %q before %q", errs.Problems[i-1].Path, p.Path)
			}
		}
	})
}
