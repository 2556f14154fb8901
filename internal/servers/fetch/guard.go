package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// maxDialAddrs bounds how many of a name's addresses are tried, so a DNS
// answer with hundreds of records cannot stretch one request.
const maxDialAddrs = 8

// checkURL parses a URL to fetch and returns its canonical form: the one
// the policy engine judged (resource.ParseURL), so that a host spelled as
// 2130706433 or 0x7f.1 is fetched, and checked, as 127.0.0.1. Only http
// and https without userinfo are accepted. Addresses are checked later,
// by the dialer, which sees every host the transport connects to.
func checkURL(raw string) (*url.URL, error) {
	canon, err := resource.ParseURL(raw)
	if err != nil {
		return nil, err
	}
	if s := canon.Scheme(); s != "http" && s != "https" {
		return nil, fmt.Errorf("URL %q: scheme %q is not allowed (only http and https)", raw, s)
	}
	u, err := url.Parse(canon.String())
	if err != nil {
		return nil, fmt.Errorf("URL %q: %w", raw, err)
	}
	if u.User != nil {
		// Credentials in a URL would travel to whatever host the policy
		// approved, and user@host spellings are a classic way to make one
		// host look like another.
		return nil, fmt.Errorf("URL %q: user information is not allowed", u.Redacted())
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// guard resolves and checks destinations and dials only checked addresses.
type guard struct {
	resolver     Resolver
	dialer       Dialer
	allowPrivate bool
}

// dialContext is the transport's DialContext. address is whatever host the
// transport took from the URL (first request or redirect), so it is
// canonicalized and resolved here, and every resolved address is checked
// before any is dialed. The dialer then gets the checked IP literal, never
// the name, so no later DNS answer can substitute another address.
func (g *guard) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dial %q: %w", address, err)
	}
	addrs, err := g.resolve(ctx, network, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		conn, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// resolve returns the addresses host stands for. If any of them is not a
// public address the whole name is refused: trying only the good ones
// would let a hostile DNS server pick which one we use.
func (g *guard) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	canon, err := resource.CanonicalHost(host)
	if err != nil {
		return nil, err
	}
	if a, err := netip.ParseAddr(canon); err == nil {
		if err := g.check(host, a); err != nil {
			return nil, err
		}
		return []netip.Addr{a.Unmap()}, nil
	}
	if !g.allowPrivate && (canon == "localhost" || strings.HasSuffix(canon, ".localhost")) {
		// RFC 6761: these names are loopback whatever DNS says.
		return nil, &BlockedError{Host: canon, Reason: "a loopback name"}
	}
	ipNet := "ip"
	switch network {
	case "tcp4":
		ipNet = "ip4"
	case "tcp6":
		ipNet = "ip6"
	}
	addrs, err := g.resolver.LookupNetIP(ctx, ipNet, canon)
	if err != nil {
		if _, ok := errors.AsType[*net.DNSError](err); ok {
			return nil, err // it names the host already
		}
		return nil, fmt.Errorf("resolve %s: %w", canon, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", canon)
	}
	out := make([]netip.Addr, 0, min(len(addrs), maxDialAddrs))
	for _, a := range addrs {
		if err := g.check(canon, a); err != nil {
			return nil, err
		}
		if len(out) < maxDialAddrs {
			out = append(out, a.Unmap())
		}
	}
	return out, nil
}

func (g *guard) check(host string, a netip.Addr) error {
	if g.allowPrivate {
		return nil
	}
	if r := blockedReason(a); r != "" {
		return &BlockedError{Host: host, Addr: a, Reason: r}
	}
	return nil
}

// defaultDialer is the production dialer. Its Control hook re-checks the
// socket address the kernel is about to connect to: a second, independent
// line behind the check in resolve, in case a future change lets a name
// reach the dialer.
func defaultDialer(allowPrivate bool) Dialer {
	d := &net.Dialer{}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("connect %q: not an IP address", address)
			}
			if r := blockedReason(ap.Addr()); r != "" {
				return &BlockedError{Addr: ap.Addr(), Reason: r}
			}
			return nil
		}
	}
	return d
}
