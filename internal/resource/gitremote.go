package resource

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// GitRemote is a canonical git remote. Construct only with ParseGitRemote.
type GitRemote struct {
	str  string
	host string
	full string
	name string
	isIP bool
}

// RemoteResolver resolves a named remote (e.g. "origin") in repository dir
// to its URL. It lives outside this package because it runs git, and this
// package must not execute processes.
type RemoteResolver interface {
	RemoteURL(ctx context.Context, dir, name string) (string, error)
}

// gitSchemes are the network transports accepted in URL form. Everything
// else (file://, ext::, fd::, remote helpers, git+ssh aliases) is refused:
// several of those run commands or touch local files, and the policy only
// reasons about network hosts.
var gitSchemes = map[string]bool{"https": true, "http": true, "ssh": true, "git": true}

// ParseGitRemote canonicalizes a git remote given as a URL
// (https/http/ssh/git), in scp-like form ("[user@]host:owner/repo.git"), or
// as the name of a configured remote in repoDir, resolved with rr (a nil
// rr makes named remotes an error). Local paths and file:// URLs are
// errors: they are not network remotes.
//
// String is what should be forwarded to git, so that git contacts exactly
// the host that was checked:
//   - URL form: the canonical URL (ParseURL), which fixes the host spelling
//     (IDNA, IPv4 forms, trailing dot) and keeps the path's case.
//   - scp-like form: "[user@]host:path" with only the host canonicalized.
//     It is not rewritten to ssh:// because "host:path" is relative to the
//     remote home directory while "ssh://host/path" is absolute; rewriting
//     would change which repository is meant.
//   - named remote: the canonical form of the URL it resolved to, not the
//     name, so a config change between check and use cannot redirect git.
func ParseGitRemote(ctx context.Context, raw, repoDir string, rr RemoteResolver) (GitRemote, error) {
	g, err := parseGitRemote(ctx, raw, repoDir, rr, true)
	if err != nil {
		return GitRemote{}, fmt.Errorf("resource: git remote %s: %w", quote(raw), err)
	}
	return g, nil
}

func parseGitRemote(ctx context.Context, raw, repoDir string, rr RemoteResolver, allowNamed bool) (GitRemote, error) {
	if err := checkURLChars(raw); err != nil {
		return GitRemote{}, err
	}
	if raw[0] == '-' {
		return GitRemote{}, errors.New("must not start with '-' (option injection)")
	}
	if k := strings.Index(raw, "://"); k > 0 && validScheme(strings.ToLower(raw[:k])) {
		return parseGitURL(raw, strings.ToLower(raw[:k]))
	}
	colon := strings.IndexByte(raw, ':')
	slash := strings.IndexByte(raw, '/')
	if colon >= 0 && (slash < 0 || colon < slash) {
		return parseSCPRemote(raw[:colon], raw[colon+1:])
	}
	if isRemoteName(raw) {
		if !allowNamed {
			return GitRemote{}, errors.New("remote resolved to another remote name")
		}
		if rr == nil {
			return GitRemote{}, errors.New("named remote but no resolver")
		}
		u, err := rr.RemoteURL(ctx, repoDir, raw)
		if err != nil {
			return GitRemote{}, fmt.Errorf("resolving remote %q: %w", raw, err)
		}
		g, err := parseGitRemote(ctx, u, repoDir, nil, false)
		if err != nil {
			return GitRemote{}, fmt.Errorf("remote %q resolved to %s: %w", raw, quote(u), err)
		}
		g.name = raw
		return g, nil
	}
	return GitRemote{}, errors.New("local path is not a network remote")
}

func parseGitURL(raw, scheme string) (GitRemote, error) {
	if scheme == "file" {
		return GitRemote{}, errors.New("file URL is not a network remote")
	}
	if !gitSchemes[scheme] {
		return GitRemote{}, fmt.Errorf("unsupported scheme %q", scheme)
	}
	if strings.ContainsAny(raw, "?#") {
		return GitRemote{}, errors.New("query or fragment not allowed")
	}
	u, pu, err := parseURL(raw)
	if err != nil {
		return GitRemote{}, err
	}
	if scheme == "ssh" && pu.User != nil {
		// ssh gets "user@host" as one argument; keep the user boring.
		if _, hasPw := pu.User.Password(); hasPw || !isSSHUser(pu.User.Username()) {
			return GitRemote{}, errors.New("invalid ssh user")
		}
	}
	rp, err := canonicalRepoPath(u.path)
	if err != nil {
		return GitRemote{}, err
	}
	return GitRemote{str: u.str, host: u.host, full: joinFull(u.host, rp), isIP: u.isIP}, nil
}

func parseSCPRemote(userHost, path string) (GitRemote, error) {
	if strings.ContainsAny(userHost, "[]") {
		// git's bracket syntax for scp-like remotes has several readings;
		// use ssh:// for IPv6 instead.
		return GitRemote{}, errors.New("brackets not supported in scp-like remotes")
	}
	user, host := "", userHost
	if at := strings.IndexByte(userHost, '@'); at >= 0 {
		user, host = userHost[:at], userHost[at+1:]
		if !isSSHUser(user) {
			return GitRemote{}, fmt.Errorf("invalid ssh user %s", quote(user))
		}
	}
	if host == "" || host[0] == '-' {
		return GitRemote{}, errors.New("invalid host")
	}
	h, isIP, err := canonicalHost(host)
	if err != nil {
		return GitRemote{}, fmt.Errorf("host: %w", err)
	}
	rp, err := canonicalRepoPath(path)
	if err != nil {
		return GitRemote{}, err
	}
	if rp == "" {
		return GitRemote{}, errors.New("empty repository path")
	}
	var b strings.Builder
	if user != "" {
		b.WriteString(user)
		b.WriteByte('@')
	}
	b.WriteString(h)
	b.WriteByte(':')
	b.WriteString(path)
	return GitRemote{str: b.String(), host: h, full: joinFull(h, rp), isIP: isIP}, nil
}

func joinFull(host, rp string) string {
	if rp == "" {
		return host
	}
	return host + "/" + rp
}

// isSSHUser accepts the user names that cannot be mistaken for anything
// else by ssh or git: no '-' prefix, no '@' or ':'.
func isSSHUser(u string) bool {
	if u == "" || u[0] == '-' {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// isRemoteName reports whether s can only be a configured remote name.
// "." and ".." are paths to git, never names.
func isRemoteName(s string) bool {
	if s == "" || s[0] == '-' || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// canonicalRepoPath turns a remote's path into the "owner/repo" part of the
// full form: lowercase (hosting services treat owners and repos
// case-insensitively), one leading "/", one trailing "/" and one ".git"
// removed. It is shared by patterns and remotes so both sides of a match
// are produced by the same code. Segments are restricted to RFC 3986
// unreserved characters and may not be empty, ".", ".." or start with '-':
// percent-escapes, dot segments and doubled slashes are all ways for two
// different strings to name one repository, or one string to name two.
// An empty result means "no path".
func canonicalRepoPath(p string) (string, error) {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return "", nil
	}
	p = strings.ToLower(p)
	p = strings.TrimSuffix(p, "/")
	p = strings.TrimSuffix(p, ".git")
	if p == "" || strings.HasSuffix(p, "/") || strings.HasSuffix(p, ".git") {
		return "", errors.New("ambiguous repository path")
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." || seg[0] == '-' {
			return "", fmt.Errorf("invalid path segment %s", quote(seg))
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == '~') {
				return "", fmt.Errorf("invalid character %q in path", c)
			}
		}
	}
	return p, nil
}

// String returns the form to forward to git; see ParseGitRemote.
func (g GitRemote) String() string { return g.str }

// Host returns the canonical host.
func (g GitRemote) Host() string { return g.host }

// Full returns "host/owner/repo": lowercase, no ".git", no trailing slash;
// only the host when the remote has no path.
func (g GitRemote) Full() string { return g.full }

// Name returns the remote name when the remote was given by name, else "".
func (g GitRemote) Name() string { return g.name }

// IsIP reports whether the host is an IP literal.
func (g GitRemote) IsIP() bool { return g.isIP }
