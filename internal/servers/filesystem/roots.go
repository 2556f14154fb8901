package filesystem

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// maxPathLen bounds a path argument at PATH_MAX: the kernel refuses longer
// names anyway, and the bound keeps routing cheap for hostile input.
const maxPathLen = 4096

// errOutside is the one error a path under no root gets; its text is part
// of the tool's contract ("access denied: ...").
var errOutside = errors.New("access denied: path outside allowed directories")

// rootDir is one directory the server may touch, held open for the life of
// the root so that every access is relative to the same directory even if
// its name is later re-pointed.
type rootDir struct {
	// display is the canonical (symlink-resolved) absolute path shown to
	// clients and used to build result paths.
	display string
	// names are the component lists of every spelling that routes to this
	// root: the path as configured and its resolved form. The gateway
	// forwards resolved paths; people configure unresolved ones.
	names [][]string
	// root is nil only in tests of routing.
	root *os.Root
}

// openRootDir opens dir, which must be an absolute path to an existing
// directory.
func openRootDir(dir string) (*rootDir, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("root %q: not an absolute path", dir)
	}
	if strings.IndexByte(dir, 0) >= 0 {
		return nil, fmt.Errorf("root %q: contains a NUL byte", dir)
	}
	clean := filepath.Clean(dir)
	resolved, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return nil, fmt.Errorf("root %q: %w", dir, err)
	}
	// Opening the resolved name keeps what is shown and what is opened the
	// same directory at the moment of opening.
	r, err := os.OpenRoot(resolved)
	if err != nil {
		return nil, fmt.Errorf("root %q: %w", dir, err)
	}
	fi, err := r.Stat(".")
	if err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("root %q: %w", dir, err)
	}
	if !fi.IsDir() {
		_ = r.Close()
		return nil, fmt.Errorf("root %q: not a directory", dir)
	}
	rd := &rootDir{display: resolved, root: r}
	rd.names = append(rd.names, splitComponents(resolved))
	if clean != resolved {
		rd.names = append(rd.names, splitComponents(clean))
	}
	return rd, nil
}

func (rd *rootDir) close() error {
	if rd.root == nil {
		return nil
	}
	return rd.root.Close()
}

// splitComponents splits a slash path into its components, dropping the
// empty and "." ones, which name nothing. ".." is kept: it is resolved by
// os.Root against the real tree, never lexically, so the server acts on
// the same file a symlink-resolving policy check saw.
func splitComponents(p string) []string {
	var out []string
	for c := range strings.SplitSeq(p, "/") {
		if c == "" || c == "." {
			continue
		}
		out = append(out, c)
	}
	return out
}

// checkPathArg rejects argument spellings that have no safe meaning here.
func checkPathArg(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case len(p) > maxPathLen:
		return fmt.Errorf("path longer than %d bytes", maxPathLen)
	case strings.IndexByte(p, 0) >= 0:
		return errors.New("path contains a NUL byte")
	case p == "~" || strings.HasPrefix(p, "~/"):
		// The reference server expands these; silently creating a
		// directory named "~" in the sandbox would be worse than refusing.
		return fmt.Errorf("home-relative path %s is not supported; use an absolute path", p)
	case len(p) >= 2 && p[1] == ':' && isASCIILetter(p[0]) && (len(p) == 2 || p[2] == '\\' || p[2] == '/'):
		// Treating C:\x as a relative POSIX name would succeed on the
		// wrong file.
		return fmt.Errorf("windows-style path %s is not supported", p)
	}
	return nil
}

func isASCIILetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// route maps a path argument to the root that lexically contains it
// (longest match) and the name to use relative to that root. A relative
// argument is taken relative to the first root. The result is never
// absolute and never empty; it may contain "..", which os.Root resolves
// and confines.
func route(roots []*rootDir, p string) (*rootDir, string, error) {
	if err := checkPathArg(p); err != nil {
		return nil, "", err
	}
	if len(roots) == 0 {
		return nil, "", fmt.Errorf("%w: %s", errOutside, p)
	}
	comps := splitComponents(p)
	if !strings.HasPrefix(p, "/") {
		return roots[0], joinRel(comps), nil
	}
	var best *rootDir
	bestLen := -1
	for _, rd := range roots {
		for _, name := range rd.names {
			if len(name) > bestLen && hasPrefix(comps, name) {
				best, bestLen = rd, len(name)
			}
		}
	}
	if best == nil {
		return nil, "", fmt.Errorf("%w: %s", errOutside, p)
	}
	return best, joinRel(comps[bestLen:]), nil
}

func hasPrefix(comps, prefix []string) bool {
	if len(prefix) > len(comps) {
		return false
	}
	for i, c := range prefix {
		if comps[i] != c {
			return false
		}
	}
	return true
}

func joinRel(comps []string) string {
	if len(comps) == 0 {
		return "."
	}
	return strings.Join(comps, "/")
}

// displayPath is the absolute path of rel under rd, for results. It is
// lexical, so it is only ever shown, never opened.
func displayPath(rd *rootDir, rel string) string {
	if rel == "." {
		return rd.display
	}
	return filepath.Join(rd.display, rel)
}

// rootFromURI validates one client-announced root and returns its path.
// Only file URIs with an absolute, already-clean path and no host other
// than localhost are accepted: anything a second parser might read
// differently is refused rather than guessed at.
func rootFromURI(uri string) (string, error) {
	if len(uri) > maxPathLen+len("file://") {
		return "", errors.New("root URI too long")
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("root URI %q: %w", uri, err)
	}
	if u.Scheme != "file" {
		return "", fmt.Errorf("root URI %q: scheme is not file", uri)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("root URI %q: host %q is not local", uri, u.Host)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("root URI %q: unexpected user, query, fragment or opaque part", uri)
	}
	p := u.Path
	if p == "" || p[0] != '/' {
		return "", fmt.Errorf("root URI %q: path is not absolute", uri)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", fmt.Errorf("root URI %q: path contains a NUL byte", uri)
	}
	trimmed := strings.TrimSuffix(p, "/")
	if trimmed == "" {
		trimmed = "/"
	}
	if filepath.Clean(trimmed) != trimmed {
		return "", fmt.Errorf("root URI %q: path is not clean", uri)
	}
	return trimmed, nil
}
