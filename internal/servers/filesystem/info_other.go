//go:build !linux

package filesystem

import (
	"io/fs"
	"time"
)

type times struct{ accessed time.Time }

// fileTimes has no portable access time; the modification time stands in.
func fileTimes(fi fs.FileInfo) times { return times{accessed: fi.ModTime()} }

// birthTime is only implemented on Linux.
func birthTime(*rootDir, string) (time.Time, bool) { return time.Time{}, false }
