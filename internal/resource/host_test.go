package resource

import (
	"strings"
	"testing"
)

func TestCanonicalHost(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "lowercase", in: "Example.COM", want: "example.com"},
		{name: "trailing dot", in: "example.com.", want: "example.com"},
		{name: "two trailing dots", in: "example.com..", wantErr: true},
		{name: "ideographic full stop", in: "example\u3002com", want: "example.com"},
		{name: "idna", in: "bücher.example", want: "xn--bcher-kva.example"},
		{name: "idna uppercase", in: "BÜCHER.example", want: "xn--bcher-kva.example"},
		{name: "ace stays", in: "xn--bcher-kva.example", want: "xn--bcher-kva.example"},
		{name: "ace uppercase", in: "XN--BCHER-KVA.example", want: "xn--bcher-kva.example"},
		{name: "bogus ace", in: "xn--zz.example", wantErr: true},
		{name: "fullwidth", in: "ｅｘａｍｐｌｅ.com", want: "example.com"},
		{name: "fullwidth digits ipv4", in: "１２７.０.０.１", want: "127.0.0.1"},
		{name: "underscore", in: "foo_bar.example", want: "foo_bar.example"},
		{name: "triple hyphen cdn label", in: "r3---sn-abc.googlevideo.com", want: "r3---sn-abc.googlevideo.com"},
		{name: "leading hyphen", in: "-x.example", wantErr: true},
		{name: "trailing hyphen", in: "x-.example", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "dot", in: ".", wantErr: true},
		{name: "empty label", in: "a..b", wantErr: true},
		{name: "leading dot", in: ".a", wantErr: true},
		{name: "space", in: "a b", wantErr: true},
		{name: "percent", in: "a%2eb", wantErr: true},
		{name: "at", in: "a@b", wantErr: true},
		{name: "star", in: "*.example.com", wantErr: true},
		{name: "fullwidth at", in: "a\uff20b.com", wantErr: true},
		{name: "control", in: "a\x01b", wantErr: true},
		{name: "invalid UTF-8", in: "a\xffb", wantErr: true},
		{name: "label too long", in: strings.Repeat("a", 64) + ".com", wantErr: true},
		{name: "host too long", in: strings.Repeat("a.", 127) + "com", wantErr: true},
		{name: "dotted quad", in: "127.0.0.1", want: "127.0.0.1"},
		{name: "ipv4 trailing dot", in: "127.0.0.1.", want: "127.0.0.1"},
		{name: "decimal", in: "2130706433", want: "127.0.0.1"},
		{name: "hex parts", in: "0x7f.1", want: "127.0.0.1"},
		{name: "hex uppercase", in: "0X7F.0X0.0.1", want: "127.0.0.1"},
		{name: "octal", in: "0177.0.0.1", want: "127.0.0.1"},
		{name: "short", in: "127.1", want: "127.0.0.1"},
		{name: "three parts", in: "127.0.1", want: "127.0.0.1"},
		{name: "hex whole", in: "0x7f000001", want: "127.0.0.1"},
		{name: "bare 0x", in: "0x", want: "0.0.0.0"},
		{name: "zero", in: "0", want: "0.0.0.0"},
		{name: "max", in: "4294967295", want: "255.255.255.255"},
		{name: "out of range", in: "4294967296", wantErr: true},
		{name: "huge hex", in: "0xffffffffffffffffffff", wantErr: true},
		{name: "part out of range", in: "256.0.0.1", wantErr: true},
		{name: "last part out of range", in: "1.2.65536", wantErr: true},
		{name: "too many parts", in: "1.2.3.4.5", wantErr: true},
		{name: "bad octal", in: "1.2.3.09", wantErr: true},
		{name: "name ending in number", in: "example.123", wantErr: true},
		{name: "empty ipv4 part", in: "1..2", wantErr: true},
		{name: "number-like label not last", in: "0x7f.example", want: "0x7f.example"},
		{name: "hex-ish but invalid last label", in: "a.0xg", want: "a.0xg"},
		{name: "ipv6 brackets", in: "[0:0::1]", want: "::1"},
		{name: "ipv6 bare", in: "0:0::1", want: "::1"},
		{name: "ipv6 rfc5952", in: "[2001:DB8:0:0:0:0:0:1]", want: "2001:db8::1"},
		{name: "ipv4-mapped", in: "[::ffff:7f00:1]", want: "::ffff:127.0.0.1"},
		{name: "ipv6 zone", in: "[fe80::1%eth0]", wantErr: true},
		{name: "ipv4 in brackets", in: "[127.0.0.1]", wantErr: true},
		{name: "unclosed bracket", in: "[::1", wantErr: true},
		{name: "host with port", in: "example.com:443", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CanonicalHost(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("CanonicalHost(%q) = %q, want error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("CanonicalHost(%q) error: %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("CanonicalHost(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func isLowerASCIIHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 0x80 || 'A' <= c && c <= 'Z' || c <= ' ' {
			return false
		}
	}
	return true
}

func FuzzCanonicalHost(f *testing.F) {
	for _, s := range []string{"Example.COM.", "bücher.example", "0x7f.1", "2130706433", "[::ffff:7f00:1]",
		"ｅｘａｍｐｌｅ.com", "xn--bcher-kva.example", "1.2.3.09", "a..b", "example\u3002com\u3002"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h, err := CanonicalHost(in)
		if err != nil {
			return
		}
		if h == "" || !isLowerASCIIHost(h) {
			t.Fatalf("CanonicalHost(%q) = %q: not lowercase ASCII", in, h)
		}
		again, err := CanonicalHost(h)
		if err != nil || again != h {
			t.Fatalf("CanonicalHost(CanonicalHost(%q)) = %q, %v, want %q", in, again, err, h)
		}
	})
}
