package fetch

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Limits on caller-supplied headers: generous for real use, small enough
// that a hostile call cannot build a huge request.
const (
	maxHeaders        = 16
	maxHeaderValueLen = 1024
)

// allowedHeaders are the request headers a caller may set. It is an
// allowlist because every other header is either the transport's business
// (Host, Connection and the other hop-by-hop headers, Content-Length,
// Accept-Encoding, which would hand us compressed bytes), a proxy's
// (Proxy-*, Forwarded, X-Forwarded-*), or a credential (Authorization,
// Cookie), and no credential the agent holds is one we want on the wire:
// the real ones never enter its cage. User-Agent is allowed because some
// sites refuse unknown agents and it carries nothing.
var allowedHeaders = []string{
	"Accept",
	"Accept-Language",
	"Cache-Control",
	"If-Modified-Since",
	"If-None-Match",
	"User-Agent",
}

// defaultAccept prefers what the converters handle well.
const defaultAccept = "text/html,application/xhtml+xml,text/markdown,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.5"

// requestHeaders builds the outgoing header set from the caller's headers,
// refusing the whole call on the first header that is not allowed or not
// well formed rather than silently dropping it.
func requestHeaders(in map[string]string, userAgent string) (http.Header, error) {
	if len(in) > maxHeaders {
		return nil, fmt.Errorf("headers: %d given, at most %d allowed", len(in), maxHeaders)
	}
	h := http.Header{}
	for _, name := range sortedKeys(in) {
		value := in[name]
		if !httpguts.ValidHeaderFieldName(name) {
			return nil, fmt.Errorf("headers: %q is not a valid header name", name)
		}
		key := http.CanonicalHeaderKey(name)
		if !slices.Contains(allowedHeaders, key) {
			return nil, fmt.Errorf("headers: %s may not be set (allowed: %s)", key, strings.Join(allowedHeaders, ", "))
		}
		if _, dup := h[key]; dup {
			return nil, fmt.Errorf("headers: %s given twice", key)
		}
		if len(value) > maxHeaderValueLen {
			return nil, fmt.Errorf("headers: %s value is longer than %d bytes", key, maxHeaderValueLen)
		}
		if !httpguts.ValidHeaderFieldValue(value) {
			return nil, fmt.Errorf("headers: %s value contains characters not allowed in a header", key)
		}
		h[key] = []string{value}
	}
	if h.Get("User-Agent") == "" {
		h.Set("User-Agent", userAgent)
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", defaultAccept)
	}
	return h, nil
}

// sortedKeys makes the error for a call with several bad headers the same
// on every run.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
