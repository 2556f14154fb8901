package fetch

import (
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSSRFRefused proves that non-public destinations are refused before
// any connection, in every spelling, both with the production dialer and
// with a dialer that would happily deliver the request to a live server.
func TestSSRFRefused(t *testing.T) {
	var hits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "secret")
	}))
	t.Cleanup(ts.Close)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())

	resolver := fakeResolver{
		"evil.example.org":   {netip.MustParseAddr("127.0.0.1")},
		"mixed.example.org":  {publicAddr, netip.MustParseAddr("10.0.0.1")},
		"meta.example.org":   {netip.MustParseAddr("169.254.169.254")},
		"v6.example.org":     {netip.IPv6Loopback()},
		"mapped.example.org": {netip.MustParseAddr("::ffff:127.0.0.1")},
		"nat64.example.org":  {netip.MustParseAddr("64:ff9b::7f00:1")},
	}
	tests := []struct {
		url, want string
	}{
		{"http://127.0.0.1:" + port + "/", "loopback"},
		{"http://localhost:" + port + "/", "loopback"},
		{"http://LOCALHOST./", "loopback"},
		{"http://app.localhost:" + port + "/", "loopback"},
		{"http://[::1]:" + port + "/", "loopback"},
		{"http://[::ffff:127.0.0.1]:" + port + "/", "loopback"},
		{"http://2130706433:" + port + "/", "loopback"},
		{"http://0x7f000001:" + port + "/", "loopback"},
		{"http://0177.0.0.1:" + port + "/", "loopback"},
		{"http://127.1:" + port + "/", "loopback"},
		{"http://0x7f.1:" + port + "/", "loopback"},
		{"http://127.0.0.1.:" + port + "/", "loopback"},
		{"http://[::]:" + port + "/", "unspecified"},
		{"http://169.254.169.254/latest/meta-data/", "link-local"},
		{"http://10.1.2.3/", "private"},
		{"http://192.168.0.1/", "private"},
		{"http://100.64.0.1/", "carrier-grade NAT"},
		{"http://0.0.0.0:" + port + "/", "unspecified"},
		{"http://[fd00:ec2::254]/", "private"},
		{"http://evil.example.org:" + port + "/", "resolves to 127.0.0.1"},
		{"http://mixed.example.org:" + port + "/", "resolves to 10.0.0.1"},
		{"http://meta.example.org/", "link-local"},
		{"http://v6.example.org:" + port + "/", "loopback"},
		{"http://mapped.example.org:" + port + "/", "loopback"},
		{"http://nat64.example.org:" + port + "/", "loopback"},
		{"ftp://example.org/", "scheme"},
		{"file:///etc/passwd", "missing host"},
		{"http://user:pw@example.org/", "user information is not allowed"},
		{"http://evil.example.org\\@example.org/", "backslash"},
		{"//example.org/", "missing scheme"},
	}
	dialers := []struct {
		name string
		d    Dialer
	}{
		{"production dialer", nil},
		{"delivering dialer", &redirectDialer{target: ts.Listener.Addr().String()}},
	}
	for _, dl := range dialers {
		cs := connect(t, Config{Resolver: resolver, Dialer: dl.d})
		for _, tc := range tests {
			t.Run(dl.name+"/"+tc.url, func(t *testing.T) {
				text, isErr := call(t, cs, FetchToolName, map[string]any{"url": tc.url})
				if !isErr || !strings.Contains(text, tc.want) {
					t.Errorf("http_fetch(%s) = %q, IsError %v, want refusal containing %q", tc.url, text, isErr, tc.want)
				}
			})
		}
		if rd, ok := dl.d.(*redirectDialer); ok && len(rd.addresses()) > 0 {
			t.Errorf("%s was asked to dial %v, want no dials", dl.name, rd.addresses())
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times, want 0", n)
	}
}

// TestSSRFRedirects fetches from a public-looking host (the fake resolver
// maps it to a public address and the dialer delivers that to a local
// server) and checks every redirect hop against the same rules.
func TestSSRFRedirects(t *testing.T) {
	var secretHits atomic.Int64
	mux := http.NewServeMux()
	var base string // http://127.0.0.1:port, set after start
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "fine") })
	mux.HandleFunc("/secret", func(w http.ResponseWriter, r *http.Request) {
		secretHits.Add(1)
		fmt.Fprint(w, "secret")
	})
	redirect := func(path, target func() string) {
		mux.HandleFunc(path(), func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target(), http.StatusFound)
		})
	}
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	base = ts.URL
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	public := "http://www.example.org:" + port
	lit := func(s string) func() string { return func() string { return s } }
	redirect(lit("/hop"), lit("/ok"))
	redirect(lit("/to-loopback"), lit(base+"/secret"))
	redirect(lit("/to-decimal"), lit("http://2130706433:"+port+"/secret"))
	redirect(lit("/to-rebind"), lit("http://rebind.example.org:"+port+"/secret"))
	redirect(lit("/to-metadata"), lit("http://169.254.169.254/latest/meta-data/"))
	redirect(lit("/to-userinfo"), lit("http://u:p@www.example.org:"+port+"/ok"))
	redirect(lit("/to-ftp"), lit("ftp://www.example.org/"))
	redirect(lit("/loop"), lit("/loop"))

	resolver := fakeResolver{
		"www.example.org":    {publicAddr},
		"rebind.example.org": {netip.MustParseAddr("127.0.0.1")},
	}
	dialer := &redirectDialer{target: ts.Listener.Addr().String()}
	// Cross-host redirects are followed here so each hop's guard is tested;
	// by default they are not followed at all (TestCrossHostRedirectsNotFollowed).
	cs := connect(t, Config{Resolver: resolver, Dialer: dialer, FollowCrossHostRedirects: true})

	tests := []struct {
		path    string
		wantErr bool
		want    string
	}{
		{"/ok", false, "fine"},
		{"/hop", false, "URL: " + public + "/ok"},
		{"/to-loopback", true, "127.0.0.1 is a loopback address"},
		{"/to-decimal", true, "127.0.0.1 is a loopback address"},
		{"/to-rebind", true, "rebind.example.org resolves to 127.0.0.1"},
		{"/to-metadata", true, "link-local"},
		{"/to-userinfo", true, "user information is not allowed"},
		{"/to-ftp", true, "scheme"},
		{"/loop", true, "stopped after 5 redirects"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			text, isErr := call(t, cs, FetchToolName, map[string]any{"url": public + tc.path})
			if isErr != tc.wantErr || !strings.Contains(text, tc.want) {
				t.Errorf("http_fetch(%s) = %q, IsError %v, want %v containing %q", tc.path, text, isErr, tc.wantErr, tc.want)
			}
		})
	}
	if n := secretHits.Load(); n != 0 {
		t.Errorf("/secret was reached %d times, want 0", n)
	}
	want := net.JoinHostPort(publicAddr.String(), port)
	for _, a := range dialer.addresses() {
		if a != want {
			t.Errorf("dialer asked for %s, want only the checked %s", a, want)
		}
	}

	t.Run("redirects disabled", func(t *testing.T) {
		cs := connect(t, Config{Resolver: resolver, Dialer: dialer, MaxRedirects: -1})
		text, isErr := call(t, cs, FetchToolName, map[string]any{"url": public + "/to-loopback"})
		if isErr || !strings.Contains(text, "Status: 302 Found") {
			t.Errorf("http_fetch(/to-loopback, no redirects) = %q, IsError %v, want the 302 itself", text, isErr)
		}
	})
}

// TestTLS fetches over real TLS through the guard: the name is checked,
// the checked address dialed, and the certificate verified for the name.
func TestTLS(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "over tls")
	}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case fails the handshake on purpose
	ts.StartTLS()
	t.Cleanup(ts.Close)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	resolver := fakeResolver{"example.com": {publicAddr}}
	url := "https://example.com:" + port + "/"

	tests := []struct {
		name    string
		roots   *x509.CertPool
		wantErr bool
		want    string
	}{
		{"trusted", roots, false, "over tls"},
		{"untrusted", nil, true, "certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := connect(t, Config{Resolver: resolver, Dialer: &redirectDialer{target: ts.Listener.Addr().String()}, RootCAs: tc.roots})
			text, isErr := call(t, cs, FetchToolName, map[string]any{"url": url})
			if isErr != tc.wantErr || !strings.Contains(text, tc.want) {
				t.Errorf("http_fetch(%s) = %q, IsError %v, want %v containing %q", url, text, isErr, tc.wantErr, tc.want)
			}
		})
	}
}

// TestCrossHostRedirectsNotFollowed: by default a redirect to another host
// is answered with where it points, not followed — the policy judged only
// the host the agent asked for.
func TestCrossHostRedirectsNotFollowed(t *testing.T) {
	var hits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/same", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://other.example.net/landing", http.StatusFound)
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "" && strings.HasPrefix(r.Host, "other.") {
			hits.Add(1)
		}
		fmt.Fprint(w, "fine")
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	resolver := fakeResolver{"www.example.org": {publicAddr}, "other.example.net": {publicAddr}}
	cs := connect(t, Config{Resolver: resolver, Dialer: &redirectDialer{target: ts.Listener.Addr().String()}})
	public := "http://www.example.org:" + port
	if text, isErr := call(t, cs, FetchToolName, map[string]any{"url": public + "/same"}); isErr || !strings.Contains(text, "fine") {
		t.Fatalf("same-host redirect: %q %v", text, isErr)
	}
	text, isErr := call(t, cs, FetchToolName, map[string]any{"url": public + "/away"})
	if isErr || !strings.Contains(text, "Status: 302") || !strings.Contains(text, "Redirect: http://other.example.net/landing (not followed") {
		t.Fatalf("cross-host redirect: %q %v", text, isErr)
	}
	if hits.Load() != 0 {
		t.Fatal("the other host was reached")
	}
}
