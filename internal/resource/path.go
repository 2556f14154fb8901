package resource

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"
)

// FS is the read-only filesystem view used to resolve symlinks. It exists
// so tests and fuzzers can substitute an in-memory tree; production code
// uses OSFS.
type FS interface {
	Lstat(name string) (fs.FileInfo, error)
	Readlink(name string) (string, error)
}

// OSFS implements FS with the os package.
type OSFS struct{}

// Lstat calls os.Lstat.
func (OSFS) Lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }

// Readlink calls os.Readlink.
func (OSFS) Readlink(name string) (string, error) { return os.Readlink(name) }

// Path is a canonical absolute path: clean, absolute, and with symlinks
// resolved through every existing ancestor. Only PathResolver should
// produce one; a Path converted from an arbitrary string carries no
// guarantee.
type Path string

func (p Path) String() string { return string(p) }

// Within reports whether p equals dir or lies under it. Both must be
// canonical; anything not absolute is treated as outside everything so that
// a zero or hand-made value can never widen a check.
func (p Path) Within(dir Path) bool {
	if len(p) == 0 || p[0] != '/' || len(dir) == 0 || dir[0] != '/' {
		return false
	}
	if dir == "/" {
		return true
	}
	if len(p) == len(dir) {
		return p == dir
	}
	return len(p) > len(dir) && p[len(dir)] == '/' && p[:len(dir)] == dir
}

const (
	// maxSymlinkHops matches Linux's MAXSYMLINKS, so anything the kernel
	// can open we can resolve, and loops terminate.
	maxSymlinkHops = 40
	// maxPathLen bounds raw input at PATH_MAX: the kernel refuses longer
	// paths anyway, and the bound keeps the resolver's work small for
	// hostile input.
	maxPathLen = 4096
	// maxWorkLen bounds the working path while symlink targets are spliced
	// in (the kernel bounds each target, not their sum; we bound both).
	maxWorkLen = 4 * maxPathLen
)

// ErrTooManySymlinks is returned (wrapped) when resolution needs more than
// 40 symlink hops, which includes every symlink loop.
var ErrTooManySymlinks = errors.New("too many symlinks")

// PathResolver canonicalizes paths against a home directory (what "~"
// means) and a base directory (what relative paths are relative to, i.e.
// the session sandbox). Home and base are kept lexical: they are resolved
// on every call like any other path, so a symlink swapped in after
// construction is still seen.
type PathResolver struct {
	fs   FS
	home string
	base string
}

// NewPathResolver returns a resolver. home and base must be absolute; they
// are not resolved here but on every call, like any other path.
func NewPathResolver(fsys FS, home, base string) (*PathResolver, error) {
	if fsys == nil {
		return nil, errors.New("resource: nil FS")
	}
	h, err := checkRootDir("home", home)
	if err != nil {
		return nil, err
	}
	b, err := checkRootDir("base", base)
	if err != nil {
		return nil, err
	}
	return &PathResolver{fs: fsys, home: h, base: b}, nil
}

func checkRootDir(what, dir string) (string, error) {
	if err := checkRawPath(dir); err != nil {
		return "", fmt.Errorf("resource: %s directory: %w", what, err)
	}
	if dir[0] != '/' {
		return "", fmt.Errorf("resource: %s directory %s is not absolute", what, quote(dir))
	}
	// Kept as given rather than lexically cleaned: resolve handles "." and
	// ".." physically on every call, and a lexical ".." here could disagree
	// with the kernel if an ancestor is a symlink.
	return dir, nil
}

// Canonical returns the canonical form of raw.
//
// raw may be absolute, relative to the base directory, "~" or start with
// "~/" ("~user" is an ordinary relative name: expanding other users' homes
// would need a user database, and guessing is worse than being literal).
//
// Resolution is physical, like the kernel's: components are walked left to
// right, each existing one is Lstat'ed, a symlink is replaced by its target
// and walking continues, and ".." takes the parent of what has been resolved
// so far. Doing ".." lexically before resolving symlinks would be wrong in
// the dangerous direction: "/sandbox/link/../x" with link -> /outside/d
// opens /outside/x, not /sandbox/x. Once a component does not exist (ENOENT
// or ENOTDIR) the rest is appended without lookups, since nothing below a
// missing directory can be a symlink; a later ".." that climbs back out of
// the missing part resumes lookups. Any other error fails closed.
func (r *PathResolver) Canonical(raw string) (Path, error) {
	if r == nil || r.fs == nil {
		return "", errors.New("resource: nil PathResolver")
	}
	if err := checkRawPath(raw); err != nil {
		return "", fmt.Errorf("resource: path %s: %w", quote(raw), err)
	}
	var p string
	switch {
	case raw[0] == '/':
		p = raw
	case raw == "~":
		p = r.home
	case strings.HasPrefix(raw, "~/"):
		p = r.home + raw[1:]
	default:
		p = r.base + "/" + raw
	}
	res, err := r.resolve(p)
	if err != nil {
		return "", fmt.Errorf("resource: path %s: %w", quote(raw), err)
	}
	return Path(res), nil
}

// CanonicalDir canonicalizes a policy-side directory (a rule's "within"
// value, a protected path, the sandbox). It is the same algorithm as
// Canonical; the separate name documents intent at call sites, and keeps
// both sides of every Within comparison going through one implementation.
func (r *PathResolver) CanonicalDir(raw string) (Path, error) {
	return r.Canonical(raw)
}

func checkRawPath(raw string) error {
	switch {
	case raw == "":
		return errors.New("empty path")
	case len(raw) > maxPathLen:
		return errors.New("path too long")
	case strings.IndexByte(raw, 0) >= 0:
		return errors.New("contains NUL byte")
	case !utf8.ValidString(raw):
		return errors.New("invalid UTF-8")
	}
	return nil
}

// resolve walks the absolute path p. It works on index ranges of a single
// string so that, for an already-clean path without symlinks, every Lstat
// argument is a substring of p and the walk allocates nothing itself; the
// string is rebuilt only at irregularities ("//", ".", "..", symlinks).
//
// Invariant: p[:done] is the clean resolved prefix ("" stands for "/").
// If missing >= 0, p[:missing] exists and everything after it does not.
func (r *PathResolver) resolve(p string) (string, error) {
	done, i, missing, hops := 0, 0, -1, 0
	for {
		for i < len(p) && p[i] == '/' {
			i++
		}
		if i == len(p) {
			break
		}
		j := strings.IndexByte(p[i:], '/')
		if j < 0 {
			j = len(p)
		} else {
			j += i
		}
		switch p[i:j] {
		case ".":
			i = j
			continue
		case "..":
			done = max(strings.LastIndexByte(p[:done], '/'), 0)
			if missing >= 0 && done <= missing {
				missing = -1
			}
			i = j
			continue
		}
		if i != done+1 {
			// Make the component contiguous with the resolved prefix.
			j += done + 1 - i
			p = p[:done] + "/" + p[i:]
		}
		if missing >= 0 {
			done, i = j, j
			continue
		}
		name := p[:j]
		fi, err := r.fs.Lstat(name)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				missing = done
				done, i = j, j
				continue
			}
			return "", fmt.Errorf("lstat %s: %w", quote(name), err)
		}
		if fi == nil {
			return "", fmt.Errorf("lstat %s: no file info", quote(name))
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done, i = j, j
			continue
		}
		hops++
		if hops > maxSymlinkHops {
			return "", ErrTooManySymlinks
		}
		target, err := r.fs.Readlink(name)
		if err != nil {
			return "", fmt.Errorf("readlink %s: %w", quote(name), err)
		}
		if target == "" || strings.IndexByte(target, 0) >= 0 {
			return "", fmt.Errorf("readlink %s: malformed target", quote(name))
		}
		if target[0] == '/' {
			p = target + p[j:]
			done, i = 0, 0
		} else {
			// Relative targets are relative to the link's directory,
			// which is exactly the resolved prefix.
			p = p[:done] + "/" + target + p[j:]
			i = done + 1
		}
		if len(p) > maxWorkLen {
			return "", errors.New("path too long after symlink expansion")
		}
	}
	if done == 0 {
		return "/", nil
	}
	return p[:done], nil
}
