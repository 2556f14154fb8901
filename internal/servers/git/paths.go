package git

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

var errNoWorkingDir = errors.New("no path given and no working directory set (call git_set_working_dir first)")

// resolvePath turns a tool's path argument into a canonical path inside a
// root. Empty and "." mean the session working directory, as in the
// TypeScript server; other relative paths are relative to it. "~" is
// refused rather than guessed: this server's HOME is a private empty
// directory and means nothing to the agent.
//
// Resolution is the policy engine's own (resource.PathResolver), so the
// directory git runs in is the one the policy decided on.
func (s *server) resolvePath(raw, wd string) (resource.Path, error) {
	if raw == "" || raw == "." {
		if wd == "" {
			return "", errNoWorkingDir
		}
		return resource.Path(wd), nil
	}
	if strings.HasPrefix(raw, "~") {
		return "", fmt.Errorf("path %q: home-relative paths are not supported", raw)
	}
	base := wd
	if !filepath.IsAbs(raw) {
		if wd == "" {
			return "", fmt.Errorf("path %q is relative and no working directory is set", raw)
		}
	} else {
		base = "/"
	}
	r, err := resource.NewPathResolver(resource.OSFS{}, "/", base)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", raw, err)
	}
	p, err := r.Canonical(raw)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", raw, err)
	}
	if s.rootOf(p) == "" {
		return "", fmt.Errorf("path %q resolves to %s, outside the allowed roots", raw, p)
	}
	return p, nil
}

// inRoots canonicalizes a path git reported (git directory, work tree) and
// checks it. git's own report is trusted no more than the agent's input:
// it follows .git files and config the agent may have written.
func (s *server) inRoots(what, raw string) error {
	if !filepath.IsAbs(raw) {
		return fmt.Errorf("%s %q is not absolute", what, raw)
	}
	r, err := resource.NewPathResolver(resource.OSFS{}, "/", "/")
	if err != nil {
		return err
	}
	p, err := r.Canonical(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if s.rootOf(p) == "" {
		return fmt.Errorf("%s %s is outside the allowed roots", what, p)
	}
	return nil
}

// rootOf returns the outermost root containing p, or "" if none does. The
// outermost one is used so that nested roots never make a repository in the
// outer root undiscoverable.
func (s *server) rootOf(p resource.Path) resource.Path {
	var best resource.Path
	for _, r := range s.roots {
		if p.Within(r) && (best == "" || len(r) < len(best)) {
			best = r
		}
	}
	return best
}

// ceiling is the GIT_CEILING_DIRECTORIES value for a command run in dir:
// git may look for a repository in dir's root but never above it.
func (s *server) ceiling(dir resource.Path) string {
	root := s.rootOf(dir)
	if root == "" || root == "/" {
		return ""
	}
	return filepath.Dir(string(root))
}
