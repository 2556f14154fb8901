package resource

import (
	"errors"
	"fmt"
	"strings"
)

type patternKind uint8

const (
	patAny    patternKind = iota + 1 // "*"
	patSuffix                        // "*.example.com"
	patHost                          // "example.com"
	patFull                          // "github.com/owner/repo"
)

// Pattern is a compiled allowlist pattern. The zero value matches nothing.
type Pattern struct {
	kind  patternKind
	value string // canonical host, suffix (without "*."), or full form
}

// ParsePattern compiles an allowlist pattern:
//   - "*": any host that is not an IP literal (an address can be reached
//     without any name, so a name wildcard must not cover it);
//   - "*.example.com": example.com and all its subdomains;
//   - "example.com": exactly that host (any repository, for git remotes);
//   - "github.com/owner/repo": exactly that full form (git remotes).
//
// A URL ("https://example.com/", "https://github.com/o/r.git") is accepted
// and reduced to its host, or to host/path when it has a path. The host is
// canonicalized like CanonicalHost so a pattern and a target can only meet
// in the same spelling. Anything that could silently widen a pattern is an
// error: a "*" elsewhere, a port other than the scheme's default, userinfo,
// a query or a fragment.
func ParsePattern(p string) (Pattern, error) {
	pat, err := parsePattern(p)
	if err != nil {
		return Pattern{}, fmt.Errorf("resource: pattern %s: %w", quote(p), err)
	}
	return pat, nil
}

func parsePattern(p string) (Pattern, error) {
	if p == "" {
		return Pattern{}, errors.New("empty pattern")
	}
	if err := checkURLChars(p); err != nil {
		return Pattern{}, err
	}
	if strings.ContainsAny(p, "?#@\\%") {
		return Pattern{}, errors.New("query, fragment, userinfo, backslash or escape not allowed")
	}
	s := p
	scheme := ""
	if k := strings.Index(s, "://"); k >= 0 {
		scheme = strings.ToLower(s[:k])
		if !validScheme(scheme) {
			return Pattern{}, errors.New("malformed scheme")
		}
		s = s[k+3:]
	}
	hostPart, pathPart := s, ""
	if k := strings.IndexByte(s, '/'); k >= 0 {
		hostPart, pathPart = s[:k], s[k:]
	}
	if scheme != "" {
		h, err := stripPatternPort(hostPart, scheme)
		if err != nil {
			return Pattern{}, err
		}
		hostPart = h
		if pathPart == "/" {
			pathPart = ""
		}
	}
	if strings.IndexByte(pathPart, '*') >= 0 {
		return Pattern{}, errors.New("wildcard only allowed as a leading \"*.\" label or alone")
	}

	switch {
	case hostPart == "*":
		if pathPart != "" {
			return Pattern{}, errors.New("wildcard host cannot have a path")
		}
		return Pattern{kind: patAny, value: "*"}, nil
	case strings.HasPrefix(hostPart, "*."):
		if pathPart != "" {
			return Pattern{}, errors.New("wildcard host cannot have a path")
		}
		rest := hostPart[2:]
		if strings.IndexByte(rest, '*') >= 0 {
			return Pattern{}, errors.New("wildcard only allowed as a leading \"*.\" label or alone")
		}
		h, isIP, err := canonicalHost(rest)
		if err != nil {
			return Pattern{}, err
		}
		if isIP {
			return Pattern{}, errors.New("wildcard cannot apply to an IP address")
		}
		return Pattern{kind: patSuffix, value: h}, nil
	case strings.IndexByte(hostPart, '*') >= 0:
		return Pattern{}, errors.New("wildcard only allowed as a leading \"*.\" label or alone")
	}

	h, _, err := canonicalHost(hostPart)
	if err != nil {
		return Pattern{}, err
	}
	if pathPart == "" {
		return Pattern{kind: patHost, value: h}, nil
	}
	rp, err := canonicalRepoPath(pathPart)
	if err != nil {
		return Pattern{}, err
	}
	if rp == "" {
		return Pattern{kind: patHost, value: h}, nil
	}
	return Pattern{kind: patFull, value: h + "/" + rp}, nil
}

// stripPatternPort removes a default port from a URL-form pattern's host
// and rejects any other port: Match has no port, so a pattern naming one
// would otherwise silently admit every port.
func stripPatternPort(hp, scheme string) (string, error) {
	if hp == "" {
		return "", errEmptyHost
	}
	host, port := hp, ""
	if hp[0] == '[' {
		k := strings.IndexByte(hp, ']')
		if k < 0 {
			return "", errors.New("malformed IPv6 literal")
		}
		host = hp[:k+1]
		if rest := hp[k+1:]; rest != "" {
			if rest[0] != ':' {
				return "", errors.New("malformed host")
			}
			port = rest[1:]
		}
	} else if k := strings.LastIndexByte(hp, ':'); k >= 0 {
		host, port = hp[:k], hp[k+1:]
	}
	if port == "" {
		return host, nil
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return "", errors.New("malformed port")
		}
	}
	if strings.TrimLeft(port, "0") != defaultPorts[scheme] || defaultPorts[scheme] == "" {
		return "", errors.New("patterns cannot name a non-default port")
	}
	return host, nil
}

// validScheme checks RFC 3986 scheme syntax on a lowercase scheme.
func validScheme(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Match reports whether the pattern admits a target. host must be a
// canonical host (URL.Host or GitRemote.Host); full is the "host/owner/repo"
// form used for git remotes and equals host for plain URLs. The zero
// Pattern matches nothing.
func (p Pattern) Match(host, full string) bool {
	if host == "" {
		return false
	}
	switch p.kind {
	case patAny:
		return !looksLikeIP(host)
	case patSuffix:
		if looksLikeIP(host) {
			return false
		}
		v := p.value
		if len(host) == len(v) {
			return host == v
		}
		// The label boundary check is what keeps evilexample.com out.
		return len(host) > len(v) && host[len(host)-len(v)-1] == '.' && host[len(host)-len(v):] == v
	case patHost:
		return host == p.value
	case patFull:
		return full == p.value
	}
	return false
}

// MatchURL reports whether the pattern admits u.
func (p Pattern) MatchURL(u URL) bool { return p.Match(u.Host(), u.Host()) }

// MatchRemote reports whether the pattern admits g.
func (p Pattern) MatchRemote(g GitRemote) bool { return p.Match(g.Host(), g.Full()) }

// String returns the canonical pattern; ParsePattern(p.String()) == p.
func (p Pattern) String() string {
	if p.kind == patSuffix {
		return "*." + p.value
	}
	return p.value
}
