//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package audit

import "os"

func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
}

// lockFile does nothing where flock does not exist; IronCurtain runs on
// Linux, and this file only keeps the package building elsewhere.
func lockFile(*os.File) error { return nil }
