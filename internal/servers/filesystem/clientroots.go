package filesystem

//lint:file-ignore SA1019 MCP roots are deprecated from protocol 2026-07-28 on; they are still how the user grants directories during a session, which is why the server speaks only earlier versions (see firstModernProtocol).

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// onInitialized asks a roots-capable client for its roots as soon as the
// session is up, so roots announced before connecting count too.
func (s *Server) onInitialized(ctx context.Context, req *mcp.InitializedRequest) {
	if req == nil || req.Session == nil {
		return
	}
	params := req.Session.InitializeParams()
	if params == nil || params.Capabilities == nil || params.Capabilities.RootsV2 == nil {
		return
	}
	s.refreshClientRoots(ctx, req.Session)
}

// onRootsListChanged re-reads the client's roots. The SDK handles
// notifications in order before later requests, so a tool call the client
// sends after announcing a root sees it.
func (s *Server) onRootsListChanged(ctx context.Context, req *mcp.RootsListChangedRequest) {
	if req == nil || req.Session == nil {
		return
	}
	s.refreshClientRoots(ctx, req.Session)
}

// refreshClientRoots replaces the client roots with the client's current
// list. It fails closed: if the list cannot be read, the client roots are
// dropped and only the configured ones remain.
func (s *Server) refreshClientRoots(ctx context.Context, ss *mcp.ServerSession) {
	ctx, cancel := context.WithTimeout(ctx, listRootsTimeout)
	defer cancel()
	res, err := ss.ListRoots(ctx, nil)
	if err != nil {
		s.log.Warn("filesystem: listing client roots failed; dropping client roots", "err", err)
		s.setClientRoots(nil)
		return
	}
	var announced []*mcp.Root
	if res != nil {
		announced = res.Roots
	}
	s.setClientRoots(s.openClientRoots(announced))
}

// openClientRoots opens each acceptable announced root. Invalid ones are
// skipped and logged: one bad entry must not cost the user the others.
func (s *Server) openClientRoots(announced []*mcp.Root) []*rootDir {
	if len(announced) > maxClientRoots {
		s.log.Warn("filesystem: too many client roots; ignoring the rest", "announced", len(announced), "max", maxClientRoots)
		announced = announced[:maxClientRoots]
	}
	seen := make(map[string]bool)
	for _, rd := range s.fixed {
		seen[rd.display] = true
	}
	var out []*rootDir
	for _, r := range announced {
		if r == nil {
			continue
		}
		dir, err := rootFromURI(r.URI)
		if err == nil {
			var rd *rootDir
			rd, err = openRootDir(dir)
			if err == nil {
				if seen[rd.display] {
					_ = rd.close()
					continue
				}
				seen[rd.display] = true
				out = append(out, rd)
				continue
			}
		}
		s.log.Warn("filesystem: ignoring client root", "uri", r.URI, "err", err)
	}
	return out
}

// setClientRoots installs rds as the client roots and closes the previous
// ones. Calls in flight on a closed root finish (os.Root defers the close)
// or fail; none can reach a directory that is no longer a root afterwards.
func (s *Server) setClientRoots(rds []*rootDir) {
	s.mu.Lock()
	old := s.client
	if s.closed {
		old = rds
		rds = nil
	}
	s.client = rds
	s.mu.Unlock()
	if err := closeAll(old); err != nil {
		s.log.Warn("filesystem: closing old client roots", "err", err)
	}
	names := make([]string, len(rds))
	for i, rd := range rds {
		names[i] = rd.display
	}
	s.log.Info("filesystem: client roots updated", "roots", fmt.Sprint(names))
}
