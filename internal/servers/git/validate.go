package git

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// maxArgLen bounds every string that becomes one argv entry. The kernel
// allows 128 KiB per argument; nothing a git call needs comes close, and
// the bound keeps the validators' work small.
const maxArgLen = 4096

// checkPlain is the floor for every string handed to git: non-empty,
// bounded, valid UTF-8, no control characters (a newline in a ref or URL
// is never legitimate and can split what a later reader sees).
func checkPlain(what, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%s is empty", what)
	case len(v) > maxArgLen:
		return fmt.Errorf("%s is longer than %d bytes", what, maxArgLen)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s is not valid UTF-8", what)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s %q contains control character %U", what, v, r)
		}
	}
	return nil
}

// checkRev accepts a revision expression (hash, ref, HEAD~2, v1^{tree},
// main@{1}) that git will parse itself. The only thing checked beyond the
// floor is that git cannot take it for an option: revisions sit before
// "--", where a leading "-" would be parsed as one.
func checkRev(what, v string) error {
	if err := checkPlain(what, v); err != nil {
		return err
	}
	if v[0] == '-' {
		return fmt.Errorf("%s %q starts with '-'", what, v)
	}
	return nil
}

// checkRefName accepts a branch or tag name. On top of checkRev, it
// refuses what git's own ref-format check would (so the message is ours
// and one line), and a leading '+', which in a refspec forces the update.
func checkRefName(what, v string) error {
	if err := checkRev(what, v); err != nil {
		return err
	}
	if v[0] == '+' {
		return fmt.Errorf("%s %q starts with '+'", what, v)
	}
	if i := strings.IndexAny(v, " ~^:?*[\\"); i >= 0 {
		return fmt.Errorf("%s %q contains %q", what, v, v[i])
	}
	if strings.Contains(v, "..") || strings.Contains(v, "@{") || strings.HasSuffix(v, ".lock") ||
		strings.HasSuffix(v, ".") || strings.HasSuffix(v, "/") || strings.HasPrefix(v, "/") ||
		strings.Contains(v, "//") || v == "@" {
		return fmt.Errorf("%s %q is not a valid ref name", what, v)
	}
	return nil
}

// remoteNameRE is the TypeScript server's pattern for remote names.
var remoteNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// checkRemoteName accepts a configured remote's name. Without '/' or ':'
// git could still read it as a path relative to the repository, so "."
// and ".." (the repository itself and its parent) are refused.
func checkRemoteName(what, v string) error {
	if err := checkRev(what, v); err != nil {
		return err
	}
	if len(v) > 255 || !remoteNameRE.MatchString(v) {
		return fmt.Errorf("%s %q: only letters, digits, '.', '_' and '-' are allowed", what, v)
	}
	if strings.Trim(v, ".") == "" {
		return fmt.Errorf("%s %q is not a remote name", what, v)
	}
	return nil
}

// checkRemote accepts what fetch, pull and push take as a remote: a
// configured remote's name, or a URL held to the same rules as clone's. The
// gateway forwards the URL a named remote resolved to, so the URL that was
// checked is the one used.
func (s *server) checkRemote(what, v string) error {
	if remoteNameRE.MatchString(v) {
		return checkRemoteName(what, v)
	}
	if err := s.checkRemoteURL(v); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// checkPathspec accepts a path inside the repository. Paths always follow
// "--", so a leading '-' is harmless; git itself refuses paths outside the
// work tree.
func checkPathspec(what, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if len(v) > maxArgLen {
		return fmt.Errorf("%s is longer than %d bytes", what, maxArgLen)
	}
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("%s %q contains a NUL byte", what, v)
	}
	return nil
}

func checkPathspecs(what string, vs []string) error {
	for i, v := range vs {
		if err := checkPathspec(fmt.Sprintf("%s[%d]", what, i), v); err != nil {
			return err
		}
	}
	return nil
}

var stashRefRE = regexp.MustCompile(`^(stash@\{[0-9]{1,9}\}|[0-9]{1,9})$`)

func checkStashRef(v string) error {
	if !stashRefRE.MatchString(v) {
		return fmt.Errorf("stashRef %q: want stash@{N} or N", v)
	}
	return nil
}

// checkAuthor validates the parts of "--author=Name <email>". Angle
// brackets or a newline would let the name forge a different identity
// line in the commit object.
func checkAuthor(name, email string) error {
	if err := checkPlain("author.name", name); err != nil {
		return err
	}
	if strings.ContainsAny(name, "<>") {
		return fmt.Errorf("author.name %q contains '<' or '>'", name)
	}
	if _, err := resource.Email(email); err != nil {
		return fmt.Errorf("author.email: %w", err)
	}
	if strings.ContainsAny(email, "<>") {
		return fmt.Errorf("author.email %q contains '<' or '>'", email)
	}
	return nil
}

// remoteKind says how git would reach a remote URL.
type remoteKind uint8

const (
	remoteNetwork remoteKind = iota + 1 // https, http or ssh
	remoteLocal                         // a local path or file:// URL
)

var errHelperSyntax = errors.New("remote helper syntax (transport::address) is not allowed")

// parseRemoteURL classifies a remote URL the way git does (scheme://,
// transport::address, scp-like host:path, local path), without touching
// the filesystem. For a local remote it returns the path, which the caller
// must still confine to the roots. Anything git could read as an option,
// or that would reach a transport we do not run, is an error.
func parseRemoteURL(raw string) (remoteKind, string, error) {
	if err := checkPlain("url", raw); err != nil {
		return 0, "", err
	}
	if raw[0] == '-' {
		return 0, "", fmt.Errorf("url %q starts with '-'", raw)
	}
	if i := strings.Index(raw, "://"); i > 0 && isScheme(raw[:i]) {
		scheme := strings.ToLower(raw[:i])
		u, err := url.Parse(raw)
		if err != nil {
			return 0, "", fmt.Errorf("url %q: %w", raw, err)
		}
		switch scheme {
		case "https", "http", "ssh", "git+ssh", "ssh+git":
			host := u.Hostname()
			if host == "" {
				return 0, "", fmt.Errorf("url %q has no host", raw)
			}
			if host[0] == '-' || strings.HasPrefix(u.User.Username(), "-") {
				return 0, "", fmt.Errorf("url %q: host or user starts with '-'", raw)
			}
			return remoteNetwork, "", nil
		case "file":
			if strings.Contains(raw, "%") {
				// git and net/url may disagree on decoding; the path
				// checked must be the path git opens.
				return 0, "", fmt.Errorf("url %q: percent-encoding in a file URL is not allowed", raw)
			}
			if u.Host != "" && u.Host != "localhost" {
				return 0, "", fmt.Errorf("url %q: file URL with a host", raw)
			}
			if u.Path == "" || u.Path[0] != '/' {
				return 0, "", fmt.Errorf("url %q: file URL without an absolute path", raw)
			}
			return remoteLocal, u.Path, nil
		default:
			return 0, "", fmt.Errorf("url %q: scheme %q is not allowed (https, http, ssh)", raw, scheme)
		}
	}
	if i := strings.Index(raw, "::"); i > 0 && !strings.Contains(raw[:i], "/") {
		return 0, "", fmt.Errorf("url %q: %w", raw, errHelperSyntax)
	}
	colon, slash := strings.IndexByte(raw, ':'), strings.IndexByte(raw, '/')
	if colon > 0 && (slash < 0 || colon < slash) {
		// scp-like [user@]host:path, which git hands to ssh.
		host := raw[:colon]
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			if strings.HasPrefix(host, "-") {
				return 0, "", fmt.Errorf("url %q: user starts with '-'", raw)
			}
			host = host[at+1:]
		}
		if host == "" || host[0] == '-' || strings.ContainsAny(host, " \t") {
			return 0, "", fmt.Errorf("url %q: bad ssh host %q", raw, host)
		}
		return remoteNetwork, "", nil
	}
	if !filepath.IsAbs(raw) {
		return 0, "", fmt.Errorf("url %q: a local repository must be given as an absolute path", raw)
	}
	return remoteLocal, raw, nil
}

func isScheme(s string) bool {
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// checkRemoteURL is parseRemoteURL plus the server's transport settings: a
// local remote needs AllowFileProtocol and must resolve inside the roots,
// or clone and fetch would read repositories outside the sandbox.
func (s *server) checkRemoteURL(raw string) error {
	kind, local, err := parseRemoteURL(raw)
	if err != nil {
		return err
	}
	if kind != remoteLocal {
		return nil
	}
	if !s.fileOK {
		return fmt.Errorf("url %q: local and file:// remotes are disabled", raw)
	}
	if _, err := s.resolvePath(local, ""); err != nil {
		return fmt.Errorf("url: %w", err)
	}
	return nil
}
