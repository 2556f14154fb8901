package git

import (
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// sessionDirs holds each MCP session's working directory (git_set_working_dir),
// so that two clients of one server never see each other's choice. A nil
// session (a handler called outside a session) has its own slot.
type sessionDirs struct {
	mu      sync.Mutex // guards dirs and watched
	dirs    map[*mcp.ServerSession]string
	watched map[*mcp.ServerSession]bool // sessions with a goroutine waiting for their end
}

func newSessionDirs() *sessionDirs {
	return &sessionDirs{
		dirs:    make(map[*mcp.ServerSession]string),
		watched: make(map[*mcp.ServerSession]bool),
	}
}

func (d *sessionDirs) get(ss *mcp.ServerSession) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dirs[ss]
}

// set records dir for ss. The first time a live session is seen, a
// goroutine waits for it to end and forgets its entry, so long-running
// servers do not accumulate dead sessions.
func (d *sessionDirs) set(ss *mcp.ServerSession, dir string) {
	d.mu.Lock()
	d.dirs[ss] = dir
	watch := ss != nil && !d.watched[ss]
	if watch {
		d.watched[ss] = true
	}
	d.mu.Unlock()
	if watch {
		go func() {
			_ = ss.Wait()
			d.mu.Lock()
			delete(d.dirs, ss)
			delete(d.watched, ss)
			d.mu.Unlock()
		}()
	}
}

func (d *sessionDirs) clear(ss *mcp.ServerSession) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.dirs, ss)
}
