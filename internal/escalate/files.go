package escalate

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

const (
	// maxAnswerSize bounds an answer file: {"decision":..,"by":..} is tiny,
	// so anything bigger is not an answer.
	maxAnswerSize = 4 << 10
	// maxRequestSize bounds a request file: the canonical arguments of one
	// call (policy.MaxCallSize) plus room for the rest.
	maxRequestSize = 8 << 20

	requestPrefix  = "request-"
	responsePrefix = "response-"
	fileSuffix     = ".json"
)

// sessionsDir is <home>/sessions.
func sessionsDir(home string) string { return filepath.Join(home, "sessions") }

// escalationsDir is <home>/sessions/<sessionID>/escalations.
func escalationsDir(home, sessionID string) string {
	return filepath.Join(sessionsDir(home), sessionID, "escalations")
}

func requestName(id string) string  { return requestPrefix + id + fileSuffix }
func responseName(id string) string { return responsePrefix + id + fileSuffix }

// validName accepts the identifiers that become file and directory names:
// ASCII letters, digits, '.', '_' and '-', not starting with '.', so no
// value can name a parent, a hidden file or a path separator.
func validName(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// checkOwned refuses what another user could have planted or could still
// change: a file or directory must belong to us and be writable by nobody
// else.
func checkOwned(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: cannot read its owner", path)
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return fmt.Errorf("%s is owned by uid %d, not by the current user (uid %d)", path, st.Uid, uid)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is group- or world-writable (mode %v)", path, fi.Mode().Perm())
	}
	return nil
}

// secureDir checks that dir is a real directory (not a symlink) that
// checkOwned accepts. With create, a missing dir is made 0700 first; a
// parent must already exist, so the caller walks down from <home>.
func secureDir(dir string, create bool) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) && create {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", dir, err)
		}
		fi, err = os.Lstat(dir)
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory (mode %v)", dir, fi.Mode().Type())
	}
	return checkOwned(dir, fi)
}

// secureEscalationsDir checks (and with create makes) every directory from
// <home> down to the session's escalations directory. Checking each level,
// not only the last, matters: a group-writable sessions/ would let someone
// else rename a session directory away and put their own in its place.
func secureEscalationsDir(home, sessionID string, create bool) (string, error) {
	if !filepath.IsAbs(home) {
		return "", fmt.Errorf("home %q is not an absolute path", home)
	}
	if !validName(sessionID) {
		return "", fmt.Errorf("session id %q: want 1-128 letters, digits, '.', '_' or '-', not starting with '.'", sessionID)
	}
	home = filepath.Clean(home)
	dirs := []string{home, sessionsDir(home), filepath.Join(sessionsDir(home), sessionID), escalationsDir(home, sessionID)}
	for _, d := range dirs {
		if err := secureDir(d, create); err != nil {
			return "", fmt.Errorf("escalation directory: %w", err)
		}
	}
	return dirs[len(dirs)-1], nil
}

// errNotRegular marks a path that exists but is no regular file (a
// symlink, FIFO, directory...).
var errNotRegular = errors.New("not a regular file")

// readOwnedFile reads a file only if it is a regular file we own, writable
// by nobody else and at most max bytes. The checks run on the opened
// descriptor (O_NOFOLLOW refuses a symlink, O_NONBLOCK keeps a FIFO from
// hanging us), so the file cannot be swapped between check and read. It
// also returns the file's identity, for removing exactly what was read.
func readOwnedFile(path string, max int64) ([]byte, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			lfi, _ := os.Lstat(path)
			return nil, lfi, fmt.Errorf("%s: %w (a symlink)", path, errNotRegular)
		}
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fi, fmt.Errorf("%s: %w (mode %v)", path, errNotRegular, fi.Mode().Type())
	}
	if err := checkOwned(path, fi); err != nil {
		return nil, fi, err
	}
	if fi.Size() > max {
		return nil, fi, fmt.Errorf("%s is %d bytes, larger than the limit of %d", path, fi.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fi, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fi, fmt.Errorf("%s grew past the limit of %d bytes while being read", path, max)
	}
	return data, fi, nil
}

// writeFileAtomic publishes data as dir/name in one step: it is written to
// a 0600 temporary file in dir and synced, then hard-linked into place
// (replace false: fails, wrapping fs.ErrExist, when name exists, so a
// request id is never reused) or renamed over name (replace true: an
// answer replaces whatever unreadable file was there). A reader sees no
// file or the whole file, never a part.
func writeFileAtomic(dir, name string, data []byte, replace bool) error {
	tmp, err := os.CreateTemp(dir, ".tmp-"+strings.TrimSuffix(name, fileSuffix)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("write %s: %w", name, werr)
	}
	publish := os.Link
	if replace {
		publish = os.Rename
	}
	if err := publish(tmpName, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("publish %s: %w", name, err)
	}
	return nil
}

// sameVersion reports whether two observations show the same file with
// the same size and modification time, i.e. nothing new to look at.
func sameVersion(a, b fs.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
