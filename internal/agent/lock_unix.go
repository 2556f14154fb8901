//go:build unix

package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

const noFollow = syscall.O_NOFOLLOW

// lockDir takes an exclusive, non-blocking lock on <dir>/lock: two
// processes appending to one transcript would interleave two
// conversations into a file neither could resume.
func (s *Session) lockDir() error {
	f, err := os.OpenFile(filepath.Join(s.Dir, lockFile), os.O_RDWR|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return fmt.Errorf("lock session: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("session %s is in use by another process", filepath.Base(s.Dir))
		}
		return fmt.Errorf("lock session: %w", err)
	}
	s.lock = f
	return nil
}

func (s *Session) unlock() {
	if s.lock != nil {
		s.lock.Close() // closing drops the flock
		s.lock = nil
	}
}
