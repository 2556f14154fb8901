package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// fetcher performs guarded GET requests. It is safe for concurrent use.
type fetcher struct {
	s      settings
	client *http.Client
}

func newFetcher(s settings) *fetcher {
	g := &guard{resolver: s.resolver, dialer: s.dialer, allowPrivate: s.allowPrivate}
	tr := &http.Transport{
		// No Proxy: a proxy from the environment would choose where the
		// request really goes, after our checks and out of their reach.
		Proxy:                  nil,
		DialContext:            g.dialContext,
		TLSClientConfig:        &tls.Config{RootCAs: s.rootCAs, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	f := &fetcher{s: s}
	f.client = &http.Client{Transport: tr, CheckRedirect: f.checkRedirect}
	return f
}

// checkRedirect runs before every redirect hop. The target URL is held to
// the same rules as the first one; its addresses are then checked again by
// the dialer, because the transport dials the new host afresh.
func (f *fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if f.s.maxRedirects == 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > f.s.maxRedirects {
		return fmt.Errorf("stopped after %d redirects", f.s.maxRedirects)
	}
	u, err := checkURL(req.URL.String())
	if err != nil {
		return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), err)
	}
	if !f.s.crossHost && len(via) > 0 && u.Hostname() != via[0].URL.Hostname() {
		return http.ErrUseLastResponse // the response names the target; the agent may ask for it
	}
	// Continue with the canonical form, as for the first request, so the
	// host dialed is the host checked (2130706433 becomes 127.0.0.1).
	*req.URL = *u
	return nil
}

// response is what a fetch brought back, read within the limits.
type response struct {
	code        int
	status      string   // "200 OK", as the server sent it
	url         *url.URL // after redirects
	location    string   // a redirect that was not followed
	contentType string
	length      int64  // Content-Length, -1 when unknown
	kind        kind   // what the body is
	body        []byte // nil when kind is binary
	truncated   bool   // the body was cut at the byte cap
}

// get fetches u, whose URL must already have passed checkURL. The body is
// read only when it is text, and never beyond the byte cap.
func (f *fetcher) get(ctx context.Context, u *url.URL, h http.Header) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header = h
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := &response{
		code:        resp.StatusCode,
		status:      resp.Status,
		url:         resp.Request.URL,
		contentType: resp.Header.Get("Content-Type"),
		length:      resp.ContentLength,
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		if loc, err := resp.Request.URL.Parse(resp.Header.Get("Location")); err == nil && loc.String() != "" {
			r.location = loc.Redacted()
		}
	}
	r.kind = classify(r.contentType)
	if r.kind == kindBinary {
		return r, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.s.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > f.s.maxBytes {
		body, r.truncated = body[:f.s.maxBytes], true
	}
	r.kind = refine(r.kind, body)
	if r.kind != kindBinary {
		r.body = body
	}
	return r, nil
}

// describeError turns a fetch failure into the one line the agent sees.
func describeError(ctx context.Context, err error, timeout time.Duration) string {
	var blocked *BlockedError
	switch {
	case errors.As(err, &blocked):
		return "refused: " + blocked.Error()
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("timed out after %v", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The URL is named by the caller's message already.
		err = ue.Err
	}
	return oneLine(err.Error())
}

// oneLine keeps hostile text (status lines, headers, error strings that
// quote them) on one line.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || dropRune(r)
	}), " ")
}
