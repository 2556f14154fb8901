package resource

import "testing"

func TestParseURL(t *testing.T) {
	tests := []struct {
		name, in         string
		want, host, port string
		isIP, wantErr    bool
	}{
		{name: "plain", in: "https://example.com/a/b?q=1#f", want: "https://example.com/a/b?q=1#f", host: "example.com"},
		{name: "root path dropped", in: "https://x.com/", want: "https://x.com", host: "x.com"},
		{name: "no path", in: "https://x.com", want: "https://x.com", host: "x.com"},
		{name: "root path with query", in: "https://x.com/?a=b", want: "https://x.com?a=b", host: "x.com"},
		{name: "uppercase", in: "HTTPS://EXAMPLE.COM/Path", want: "https://example.com/Path", host: "example.com"},
		{name: "trailing dot", in: "https://example.com./", want: "https://example.com", host: "example.com"},
		{name: "idna", in: "https://bücher.example/", want: "https://xn--bcher-kva.example", host: "xn--bcher-kva.example"},
		{name: "idna escaped", in: "https://b%C3%BCcher.example/", want: "https://xn--bcher-kva.example", host: "xn--bcher-kva.example"},
		{name: "fullwidth", in: "https://ｅｘａｍｐｌｅ.com/", want: "https://example.com", host: "example.com"},
		{name: "default https port", in: "https://x.com:443/a", want: "https://x.com/a", host: "x.com"},
		{name: "default http port", in: "http://x.com:80", want: "http://x.com", host: "x.com"},
		{name: "default ws port", in: "ws://x.com:80", want: "ws://x.com", host: "x.com"},
		{name: "default wss port", in: "wss://x.com:443", want: "wss://x.com", host: "x.com"},
		{name: "default ftp port", in: "ftp://x.com:21/f", want: "ftp://x.com/f", host: "x.com"},
		{name: "leading zero default port", in: "https://x.com:0443", want: "https://x.com", host: "x.com"},
		{name: "other port", in: "https://x.com:8443/", want: "https://x.com:8443", host: "x.com", port: "8443"},
		{name: "http on 443 kept", in: "http://x.com:443/", want: "http://x.com:443", host: "x.com", port: "443"},
		{name: "empty port", in: "https://x.com:/", want: "https://x.com", host: "x.com"},
		{name: "port out of range", in: "https://x.com:65536/", wantErr: true},
		{name: "port not numeric", in: "https://x.com:ab/", wantErr: true},
		{name: "userinfo trick", in: "https://github.com@evil.com/", want: "https://github.com@evil.com", host: "evil.com"},
		{name: "userinfo password", in: "https://u:p@x.com/", want: "https://u:p@x.com", host: "x.com"},
		{name: "double at", in: "https://a@b@evil.com/", want: "https://a%40b@evil.com", host: "evil.com"},
		{name: "ipv4 decimal", in: "http://2130706433/", want: "http://127.0.0.1", host: "127.0.0.1", isIP: true},
		{name: "ipv4 hex", in: "http://0x7f.1/", want: "http://127.0.0.1", host: "127.0.0.1", isIP: true},
		{name: "ipv4 octal", in: "http://0177.0.0.1/", want: "http://127.0.0.1", host: "127.0.0.1", isIP: true},
		{name: "ipv4 short", in: "http://127.1/", want: "http://127.0.0.1", host: "127.0.0.1", isIP: true},
		{name: "ipv4 port", in: "http://127.1:8080/x", want: "http://127.0.0.1:8080/x", host: "127.0.0.1", port: "8080", isIP: true},
		{name: "ipv4 out of range", in: "http://256.0.0.1/", wantErr: true},
		{name: "ipv6", in: "http://[0:0::1]/", want: "http://[::1]", host: "::1", isIP: true},
		{name: "ipv6 port", in: "http://[::1]:8080/", want: "http://[::1]:8080", host: "::1", port: "8080", isIP: true},
		{name: "ipv6 mapped", in: "http://[::ffff:7f00:1]/", want: "http://[::ffff:127.0.0.1]", host: "::ffff:127.0.0.1", isIP: true},
		{name: "ipv6 zone", in: "http://[fe80::1%25eth0]/", wantErr: true},
		{name: "non-special scheme", in: "git://x.com/o/r", want: "git://x.com/o/r", host: "x.com"},
		{name: "path escapes kept", in: "https://x.com/a%2Fb", want: "https://x.com/a%2Fb", host: "x.com"},
		{name: "force query", in: "https://x.com/a?", want: "https://x.com/a?", host: "x.com"},
		{name: "backslash authority", in: "https://evil.com\\@github.com/", wantErr: true},
		{name: "backslash path", in: "https://x.com/a\\b", wantErr: true},
		{name: "backslash in query ok", in: "https://x.com/a?b=\\", want: "https://x.com/a?b=\\", host: "x.com"},
		{name: "no scheme", in: "example.com/a", wantErr: true},
		{name: "scheme-relative", in: "//example.com/a", wantErr: true},
		{name: "no host", in: "https:///a", wantErr: true},
		{name: "opaque", in: "mailto:a@b.com", wantErr: true},
		{name: "special without slashes", in: "https:evil.com", wantErr: true},
		{name: "file no host", in: "file:///etc/passwd", wantErr: true},
		{name: "space", in: "https://a b.com/", wantErr: true},
		{name: "tab", in: "https://exa\tmple.com/", wantErr: true},
		{name: "newline", in: "https://example.com/\n", wantErr: true},
		{name: "leading space", in: " https://example.com/", wantErr: true},
		{name: "nbsp", in: "https://example.com/\u00a0", wantErr: true},
		{name: "invalid UTF-8", in: "https://x.com/\xff", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "garbage", in: "::::", wantErr: true},
		{name: "bad escape in host", in: "https://%zz.com/", wantErr: true},
		{name: "escaped dot in host", in: "https://example%2ecom/", wantErr: true},
		{name: "star host", in: "https://*.example.com/", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := ParseURL(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseURL(%q) = %q, want error", tc.in, u)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q) error: %v", tc.in, err)
			}
			if u.String() != tc.want {
				t.Errorf("ParseURL(%q) = %q, want %q", tc.in, u, tc.want)
			}
			if u.Host() != tc.host || u.Port() != tc.port || u.IsIP() != tc.isIP {
				t.Errorf("ParseURL(%q): host %q port %q ip %v, want %q %q %v", tc.in, u.Host(), u.Port(), u.IsIP(), tc.host, tc.port, tc.isIP)
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://example.com/", "http://0x7f.1:80/a?b#c", "https://u:p@bücher.example./x",
		"http://[::ffff:7f00:1]:8080", "ws://ｅｘａｍｐｌｅ.com", "https://a@b@c/%zz", "git://h/o/r.git"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		u, err := ParseURL(in)
		if err != nil {
			return
		}
		if !isLowerASCIIHost(u.Host()) || u.Host() == "" {
			t.Fatalf("ParseURL(%q).Host() = %q: not lowercase ASCII", in, u.Host())
		}
		v, err := ParseURL(u.String())
		if err != nil {
			t.Fatalf("ParseURL(%q) = %q, which does not reparse: %v", in, u, err)
		}
		if v.String() != u.String() || v.Host() != u.Host() || v.Port() != u.Port() {
			t.Fatalf("ParseURL(ParseURL(%q)) = %q host %q, want %q host %q", in, v, v.Host(), u, u.Host())
		}
	})
}
