package fetch

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxBytes     = 5 << 20
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRedirects = 5
	DefaultUserAgent    = "IronCurtain-fetch/0.1 (AI agent runtime)"
)

// Config configures the fetch server. The zero value is ready to use.
type Config struct {
	// MaxBytes caps how much of a response body is read (default 5 MiB).
	// Longer bodies are cut at the cap and the output says so.
	MaxBytes int64

	// Timeout bounds one whole request: connect, redirects, headers and
	// body (default 30 s). The tool's timeout argument may only lower it.
	Timeout time.Duration

	// MaxRedirects is how many redirect hops are followed (0 means the
	// default of 5; negative means none: the 3xx response is returned).
	MaxRedirects int

	// FollowCrossHostRedirects lets a redirect lead to another host. Off by
	// default: the policy judged the host the agent asked for, and an open
	// redirect on an allowed site must not reach one the policy never saw.
	// The redirect response is returned instead, naming its target, so the
	// agent can fetch that URL through the policy.
	FollowCrossHostRedirects bool

	// UserAgent is sent when the caller does not set one (default
	// DefaultUserAgent).
	UserAgent string

	// SearchURL is the http or https endpoint web_search queries with
	// GET, adding the parameters q (the query) and max_results. Empty
	// means web_search answers that search is not configured. It is
	// trusted configuration, yet the SSRF checks still apply to it.
	SearchURL string

	// RootCAs verifies TLS servers; nil means the system roots.
	RootCAs *x509.CertPool

	// Resolver looks up the addresses of every host name before any
	// connection; nil means net.DefaultResolver. Its answers are checked,
	// so a fake resolver cannot weaken the SSRF checks.
	Resolver Resolver

	// Dialer connects to an address that has already passed the checks
	// (always an IP literal, never a name); nil means a net.Dialer that
	// checks the socket address once more before connecting.
	Dialer Dialer

	// Logger receives refusals and warnings; nil discards them.
	Logger *slog.Logger

	// InsecureAllowPrivate disables the SSRF address checks, so loopback,
	// private and metadata addresses become reachable. Tests only; never
	// set it from user configuration.
	InsecureAllowPrivate bool
}

// Resolver is the subset of *net.Resolver the guard needs.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer is the subset of *net.Dialer the guard needs. It must be safe
// for concurrent use.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// settings is Config after defaults and validation.
type settings struct {
	maxBytes     int64
	timeout      time.Duration
	maxRedirects int // 0 means none
	crossHost    bool
	userAgent    string
	searchURL    *url.URL // nil when search is not configured
	rootCAs      *x509.CertPool
	resolver     Resolver
	dialer       Dialer
	log          *slog.Logger
	allowPrivate bool
}

func (c Config) settings() (settings, error) {
	s := settings{
		maxBytes:     c.MaxBytes,
		timeout:      c.Timeout,
		maxRedirects: c.MaxRedirects,
		crossHost:    c.FollowCrossHostRedirects,
		userAgent:    c.UserAgent,
		rootCAs:      c.RootCAs,
		resolver:     c.Resolver,
		dialer:       c.Dialer,
		log:          c.Logger,
		allowPrivate: c.InsecureAllowPrivate,
	}
	switch {
	case s.maxBytes < 0:
		return settings{}, fmt.Errorf("fetch: MaxBytes %d is negative", s.maxBytes)
	case s.maxBytes == 0:
		s.maxBytes = DefaultMaxBytes
	}
	switch {
	case s.timeout < 0:
		return settings{}, fmt.Errorf("fetch: Timeout %v is negative", s.timeout)
	case s.timeout == 0:
		s.timeout = DefaultTimeout
	}
	switch {
	case s.maxRedirects < 0:
		s.maxRedirects = 0
	case s.maxRedirects == 0:
		s.maxRedirects = DefaultMaxRedirects
	}
	if s.userAgent == "" {
		s.userAgent = DefaultUserAgent
	}
	if !httpguts.ValidHeaderFieldValue(s.userAgent) {
		return settings{}, errors.New("fetch: UserAgent is not a valid header value")
	}
	if c.SearchURL != "" {
		u, err := checkURL(c.SearchURL)
		if err != nil {
			return settings{}, fmt.Errorf("fetch: SearchURL: %w", err)
		}
		s.searchURL = u
	}
	if s.resolver == nil {
		s.resolver = net.DefaultResolver
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.dialer == nil {
		s.dialer = defaultDialer(s.allowPrivate)
	}
	return s, nil
}
