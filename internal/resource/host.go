package resource

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits from RFC 1035. Hosts beyond them can never resolve, so rejecting
// them costs nothing and keeps hostile input bounded.
const (
	maxHostLen  = 253
	maxLabelLen = 63
)

// idnaProfile is the UTS-46 lookup profile: it maps compatibility forms
// (fullwidth letters, ideographic full stops, uppercase) the way browsers
// and Go's HTTP stack do before resolving, so that the host the policy sees
// is the host a client would actually contact. The Bidi rule is added
// because mixed-direction labels are a classic spoofing vector.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
)

var errEmptyHost = errors.New("empty host")

// CanonicalHost canonicalizes a bare hostname or IP literal: lowercase,
// IDNA ASCII (punycode), one trailing dot removed, IPv4 in dotted-quad form
// (WHATWG number forms such as 0x7f.1 or 2130706433 are decoded, because
// resolvers accept them too), IPv6 without brackets in RFC 5952 form.
// IPv6 may be given with or without brackets; zones are rejected.
func CanonicalHost(host string) (string, error) {
	h, _, err := canonicalHost(host)
	if err != nil {
		return "", fmt.Errorf("resource: host %s: %w", quote(host), err)
	}
	return h, nil
}

// canonicalHost is CanonicalHost without the error decoration; it also
// reports whether the result is an IP literal.
func canonicalHost(host string) (string, bool, error) {
	if host == "" {
		return "", false, errEmptyHost
	}
	if len(host) > 4*maxHostLen {
		// Generous bound before any mapping work: mapping can only shrink
		// a valid host by removing ignorable runes, never by 4x in practice.
		return "", false, errors.New("host too long")
	}
	if !utf8.ValidString(host) {
		return "", false, errors.New("invalid UTF-8")
	}
	if host[0] == '[' || strings.IndexByte(host, ':') >= 0 {
		return canonicalIPv6(host)
	}
	if err := checkHostRunes(host); err != nil {
		return "", false, err
	}

	var h string
	if isASCII(host) {
		h = strings.ToLower(host)
	} else {
		mapped, err := idnaProfile.ToASCII(host)
		if err != nil {
			return "", false, fmt.Errorf("invalid IDNA: %w", err)
		}
		h = mapped
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" {
		return "", false, errEmptyHost
	}

	if endsInNumber(h) {
		a, err := parseWHATWGIPv4(h)
		if err != nil {
			return "", false, err
		}
		return a.String(), true, nil
	}
	if err := checkDomain(h); err != nil {
		return "", false, err
	}
	return h, false, nil
}

// checkHostRunes rejects characters that no hostname may contain before
// any mapping happens. IDNA would reject most of them too, but some (such
// as '%' or '@') have meaning to URL parsers and must never reach the
// mapping stage where a later component could reinterpret them.
func checkHostRunes(host string) error {
	for _, r := range host {
		switch {
		case r < 0x80:
			c := byte(r)
			if c <= ' ' || c == 0x7f {
				return fmt.Errorf("control or space character %q", r)
			}
			if strings.IndexByte("#%/:<>?@[\\]^|*\"'`{}", c) >= 0 {
				return fmt.Errorf("forbidden character %q", r)
			}
		case unicode.IsControl(r) || unicode.IsSpace(r):
			return fmt.Errorf("control or space character %q", r)
		}
	}
	return nil
}

// checkDomain validates an ASCII, lowercase, trailing-dot-free domain.
// Underscores are tolerated in ASCII labels because real hosts use them
// (IDNA's strict STD3 rules would reject them); they cannot alias anything.
func checkDomain(h string) error {
	if len(h) > maxHostLen {
		return errors.New("host too long")
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" {
			return errors.New("empty label")
		}
		if len(label) > maxLabelLen {
			return errors.New("label too long")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with a hyphen", label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("forbidden character %q", c)
			}
		}
		// An ACE label must decode to something the lookup profile accepts,
		// otherwise a bogus xn-- label could be matched against a pattern
		// written in Unicode form that means something else.
		if strings.HasPrefix(label, "xn--") {
			ace, err := idnaProfile.ToASCII(label)
			if err != nil {
				return fmt.Errorf("invalid IDNA: %w", err)
			}
			if ace != label {
				return fmt.Errorf("non-canonical ACE label %q", label)
			}
		}
	}
	return nil
}

// canonicalIPv6 handles hosts that can only be IPv6 literals (they start
// with '[' or contain ':'). Zones are rejected: they are interface-local
// and have no meaning in a policy.
func canonicalIPv6(host string) (string, bool, error) {
	s := host
	if s[0] == '[' {
		if len(s) < 2 || s[len(s)-1] != ']' {
			return "", false, errors.New("malformed IPv6 literal")
		}
		s = s[1 : len(s)-1]
	}
	if strings.IndexByte(s, '%') >= 0 {
		return "", false, errors.New("IPv6 zone not allowed")
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return "", false, errors.New("malformed IPv6 literal")
	}
	return a.String(), true, nil
}

// endsInNumber is the WHATWG "ends in a number" test: it decides whether a
// host must be parsed as IPv4. The last label counts as numeric if it is all
// digits or a valid IPv4 number in any base.
func endsInNumber(h string) bool {
	last := h
	if i := strings.LastIndexByte(h, '.'); i >= 0 {
		last = h[i+1:]
	}
	if last == "" {
		return false
	}
	digits := true
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		return true
	}
	_, ok, _ := parseIPv4Number(last)
	return ok
}

// parseWHATWGIPv4 implements the WHATWG IPv4 parser: 1 to 4 parts, each in
// decimal, 0x-hex or 0-octal; all parts but the last must fit a byte and the
// last fills the remaining bytes. inet_aton accepts the same forms, so
// treating them as names would let 0x7f.1 slip past a rule about 127.0.0.1.
func parseWHATWGIPv4(h string) (netip.Addr, error) {
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return netip.Addr{}, errors.New("invalid IPv4 address: too many parts")
	}
	var nums [4]uint64
	for i, p := range parts {
		n, ok, huge := parseIPv4Number(p)
		if !ok {
			return netip.Addr{}, fmt.Errorf("invalid IPv4 address part %q", p)
		}
		if huge {
			return netip.Addr{}, errors.New("invalid IPv4 address: out of range")
		}
		nums[i] = n
	}
	last := len(parts) - 1
	for i := 0; i < last; i++ {
		if nums[i] > 255 {
			return netip.Addr{}, errors.New("invalid IPv4 address: part out of range")
		}
	}
	if nums[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, errors.New("invalid IPv4 address: out of range")
	}
	v := nums[last]
	for i := 0; i < last; i++ {
		v |= nums[i] << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), nil
}

// parseIPv4Number parses one WHATWG IPv4 number. ok reports valid syntax;
// huge reports a value of 2^32 or more (WHATWG uses unbounded integers, and
// such a value is still "a number" for endsInNumber but always out of range).
// Saturating keeps the arithmetic overflow-free.
func parseIPv4Number(s string) (v uint64, ok, huge bool) {
	if s == "" {
		return 0, false, false
	}
	base := uint64(10)
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		s, base = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	for i := 0; i < len(s); i++ {
		d, dok := digitVal(s[i])
		if !dok || d >= base {
			return 0, false, false
		}
		if !huge {
			v = v*base + d
			if v >= 1<<32 {
				huge = true
			}
		}
	}
	return v, true, huge
}

func digitVal(c byte) (uint64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// looksLikeIP is deliberately broader than "is a canonical IP literal": a
// wildcard must never admit anything an address parser might accept.
func looksLikeIP(h string) bool {
	if h == "" {
		return true
	}
	if h[0] == '[' || strings.IndexByte(h, ':') >= 0 {
		return true
	}
	// Every IPv4 form netip accepts ends in a numeric label, so this one
	// test covers them without netip's allocating error path; it runs once
	// per pattern per value on the policy hot path.
	return endsInNumber(strings.TrimSuffix(h, "."))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// quote renders hostile input for error messages: escaped, and truncated so
// a megabyte-long argument cannot flood logs.
func quote(s string) string {
	const max = 200
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
