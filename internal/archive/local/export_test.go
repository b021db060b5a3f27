package local

// SetHookBeforeBlob makes every Put call f after publishing the sidecar and
// before the blob, returning its error as a crash there would stop the Put.
// The returned function restores the default.
func SetHookBeforeBlob(f func() error) (restore func()) {
	testHookBeforeBlob = f
	return func() { testHookBeforeBlob = func() error { return nil } }
}
