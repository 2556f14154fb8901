//go:build !unix

package agent

// noFollow is not available; session files are still checked to be
// regular files after opening.
const noFollow = 0

// lockDir is a no-op where flock does not exist: one process per session
// is then the user's responsibility.
func (s *Session) lockDir() error { return nil }

func (s *Session) unlock() {}
