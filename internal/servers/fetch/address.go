package fetch

import (
	"fmt"
	"net/netip"
)

// BlockedError reports a destination refused by the SSRF checks. It is
// returned (wrapped) by fetches whose URL, redirect target or resolved
// address is not a public unicast address.
type BlockedError struct {
	Host   string     // the host as named, when it was a name
	Addr   netip.Addr // the refused address; invalid when refused by name
	Reason string     // what kind of address it is: "loopback", "private", ...
}

func (e *BlockedError) Error() string {
	if !e.Addr.IsValid() {
		return fmt.Sprintf("host %s is %s, which is never fetched", e.Host, e.Reason)
	}
	if e.Host == "" || e.Host == e.Addr.String() {
		return fmt.Sprintf("address %s is %s, which is never fetched", e.Addr, e.Reason)
	}
	return fmt.Sprintf("host %s resolves to %s, which is %s and never fetched", e.Host, e.Addr, e.Reason)
}

// specialRange is an address block that is not a public destination even
// though netip's predicates (IsLoopback, IsPrivate, ...) do not say so.
type specialRange struct {
	prefix netip.Prefix
	reason string
}

// specialRanges lists the IANA special-purpose blocks that are not
// globally reachable (RFC 6890 and its updates) beyond what netip knows.
// A block that embeds an IPv4 address (NAT64, 6to4) is not listed: the
// embedded address is checked instead, see embeddedIPv4.
var specialRanges = []specialRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "a this-network address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("192.88.99.0/24"), "a deprecated 6to4 relay address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
	{netip.MustParsePrefix("2001:2::/48"), "a benchmarking address"},
	{netip.MustParsePrefix("2001:10::/28"), "an ORCHID address"},
	{netip.MustParsePrefix("2001:20::/28"), "an ORCHID address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("3fff::/20"), "a documentation address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
}

var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// blockedReason says why a is not a public destination, or "" when it is
// one. IPv4 addresses hidden inside IPv6 forms (mapped, NAT64, 6to4) are
// judged by the IPv4 address, because that is where a packet would go.
func blockedReason(a netip.Addr) string {
	if !a.IsValid() {
		return "not a valid address"
	}
	if a.Zone() != "" {
		return "a scoped address"
	}
	a = a.Unmap()
	if v4, ok := embeddedIPv4(a); ok {
		return blockedReason(v4)
	}
	switch {
	case a.IsUnspecified():
		return "an unspecified address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsLinkLocalUnicast():
		return "a link-local address (cloud metadata lives there)"
	case a.IsMulticast():
		return "a multicast address"
	case a.IsPrivate():
		return "a private address"
	}
	for _, r := range specialRanges {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	if !a.IsGlobalUnicast() {
		return "not a global unicast address"
	}
	return ""
}

// embeddedIPv4 extracts the IPv4 address a NAT64 or 6to4 address routes to.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case nat64Prefix.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}
