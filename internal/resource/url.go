package resource

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxURLLen bounds hostile input before any parsing work.
const maxURLLen = 64 << 10

// defaultPorts lists the ports dropped from canonical URLs. ssh and git are
// included because git remotes go through ParseURL too.
var defaultPorts = map[string]string{
	"http":  "80",
	"https": "443",
	"ws":    "80",
	"wss":   "443",
	"ftp":   "21",
	"ssh":   "22",
	"git":   "9418",
}

// URL is a canonical absolute URL with a host. The zero value is not a
// valid URL; construct only with ParseURL.
type URL struct {
	scheme string
	host   string
	port   string
	isIP   bool
	path   string // escaped; "" instead of "/"
	str    string
}

// ParseURL parses and canonicalizes an absolute URL with a non-empty host.
//
// The host is parsed the way a WHATWG client would see it and canonicalized
// with CanonicalHost, so the same resource has one spelling. Anything on
// which Go's parser and a WHATWG parser could disagree about the authority
// is rejected rather than guessed: control characters, spaces, invalid
// UTF-8 and backslashes (WHATWG reads "\" as "/" in special schemes, so
// "https://evil.com\@good.com/" has host evil.com there but good.com for
// net/url).
func ParseURL(raw string) (URL, error) {
	u, _, err := parseURL(raw)
	if err != nil {
		return URL{}, fmt.Errorf("resource: URL %s: %w", quote(raw), err)
	}
	return u, nil
}

// parseURL also returns the net/url parse for callers that need more
// detail (git remotes inspect the ssh user).
func parseURL(raw string) (URL, *url.URL, error) {
	if err := checkURLChars(raw); err != nil {
		return URL{}, nil, err
	}
	pre := raw
	if k := strings.IndexAny(pre, "?#"); k >= 0 {
		pre = pre[:k]
	}
	if strings.IndexByte(pre, '\\') >= 0 {
		return URL{}, nil, errors.New("backslash not allowed")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return URL{}, nil, errors.New("malformed URL")
	}
	if u.Scheme == "" {
		return URL{}, nil, errors.New("missing scheme")
	}
	if u.Opaque != "" || u.Host == "" {
		return URL{}, nil, errors.New("missing host")
	}
	hostPart, port, err := splitHostPort(u.Host)
	if err != nil {
		return URL{}, nil, err
	}
	host, isIP, err := canonicalHost(hostPart)
	if err != nil {
		return URL{}, nil, fmt.Errorf("host: %w", err)
	}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return URL{}, nil, fmt.Errorf("invalid port %s", quote(port))
		}
		port = strconv.FormatUint(n, 10)
		if defaultPorts[u.Scheme] == port {
			port = ""
		}
	}

	out := URL{scheme: u.Scheme, host: host, port: port, isIP: isIP}
	out.path = u.EscapedPath()
	if out.path == "/" {
		out.path = ""
	}

	var b strings.Builder
	b.Grow(len(raw) + 8)
	b.WriteString(u.Scheme)
	b.WriteString("://")
	if u.User != nil {
		// Kept so the forwarded request is unchanged; it never takes part in
		// matching, which is why parsing the host correctly matters.
		b.WriteString(u.User.String())
		b.WriteByte('@')
	}
	writeHost(&b, host)
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	b.WriteString(out.path)
	if u.ForceQuery || u.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(u.RawQuery)
	}
	if u.Fragment != "" {
		b.WriteByte('#')
		b.WriteString(u.EscapedFragment())
	}
	out.str = b.String()
	return out, u, nil
}

// checkURLChars rejects what WHATWG parsers silently strip or reinterpret
// (tabs and newlines are removed anywhere, leading/trailing C0 and spaces are
// trimmed), since the policy and the client would then see different URLs.
func checkURLChars(raw string) error {
	if raw == "" {
		return errors.New("empty URL")
	}
	if len(raw) > maxURLLen {
		return errors.New("URL too long")
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f {
				return fmt.Errorf("control or space character %q", rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(raw[i:])
		if r == utf8.RuneError && n <= 1 {
			return errors.New("invalid UTF-8")
		}
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("control or space character %q", r)
		}
		i += n
	}
	return nil
}

// splitHostPort splits net/url's Host field. net/url has already checked
// the port syntax (digits only); brackets are kept on IPv6 literals so
// canonicalHost knows the literal was bracketed.
func splitHostPort(hp string) (host, port string, err error) {
	if hp[0] == '[' {
		k := strings.LastIndexByte(hp, ']')
		if k < 0 {
			return "", "", errors.New("malformed IPv6 literal")
		}
		host, rest := hp[:k+1], hp[k+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' {
			return "", "", errors.New("malformed host")
		}
		return host, rest[1:], nil
	}
	if k := strings.LastIndexByte(hp, ':'); k >= 0 {
		return hp[:k], hp[k+1:], nil
	}
	return hp, "", nil
}

func writeHost(b *strings.Builder, host string) {
	if strings.IndexByte(host, ':') >= 0 {
		b.WriteByte('[')
		b.WriteString(host)
		b.WriteByte(']')
		return
	}
	b.WriteString(host)
}

// String returns the canonical string form.
func (u URL) String() string { return u.str }

// Scheme returns the lowercase scheme.
func (u URL) Scheme() string { return u.scheme }

// Host returns the canonical host (see CanonicalHost); IPv6 has no brackets.
func (u URL) Host() string { return u.host }

// Port returns the port, or "" when it is the scheme's default.
func (u URL) Port() string { return u.port }

// IsIP reports whether the host is an IP literal.
func (u URL) IsIP() bool { return u.isIP }

// EscapedPath returns the escaped path, "" when the URL has no path or "/".
func (u URL) EscapedPath() string { return u.path }
