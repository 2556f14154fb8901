package resource

import (
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "any", in: "*", want: "*"},
		{name: "suffix", in: "*.Example.COM.", want: "*.example.com"},
		{name: "host", in: "Example.com", want: "example.com"},
		{name: "idna host", in: "bücher.example", want: "xn--bcher-kva.example"},
		{name: "idna suffix", in: "*.bücher.example", want: "*.xn--bcher-kva.example"},
		{name: "ip host", in: "127.1", want: "127.0.0.1"},
		{name: "ipv6 host", in: "[::1]", want: "::1"},
		{name: "full", in: "GitHub.com/Owner/Repo", want: "github.com/owner/repo"},
		{name: "full .git", in: "github.com/owner/repo.git", want: "github.com/owner/repo"},
		{name: "full trailing slash", in: "github.com/owner/repo/", want: "github.com/owner/repo"},
		{name: "full .git slash", in: "github.com/owner/repo.git/", want: "github.com/owner/repo"},
		{name: "host with slash only", in: "github.com/", want: "github.com"},
		{name: "url", in: "https://Example.com/", want: "example.com"},
		{name: "url no slash", in: "https://example.com", want: "example.com"},
		{name: "url default port", in: "https://example.com:443/", want: "example.com"},
		{name: "url wildcard", in: "https://*.example.com", want: "*.example.com"},
		{name: "url full", in: "https://github.com/Owner/Repo.git", want: "github.com/owner/repo"},
		{name: "url ipv6", in: "http://[::1]:80/", want: "::1"},
		{name: "empty", in: "", wantErr: true},
		{name: "star inside label", in: "foo*.example.com", wantErr: true},
		{name: "star later label", in: "a.*.example.com", wantErr: true},
		{name: "double star", in: "*.*.example.com", wantErr: true},
		{name: "star suffix only", in: "*.", wantErr: true},
		{name: "star no dot", in: "*example.com", wantErr: true},
		{name: "star in path", in: "github.com/owner/*", wantErr: true},
		{name: "star host with path", in: "*/owner/repo", wantErr: true},
		{name: "wildcard ip", in: "*.127.0.0.1", wantErr: true},
		{name: "host port", in: "example.com:8080", wantErr: true},
		{name: "url other port", in: "https://example.com:8443/", wantErr: true},
		{name: "url userinfo", in: "https://u@example.com/", wantErr: true},
		{name: "url query", in: "https://example.com/?a", wantErr: true},
		{name: "ambiguous .git.git", in: "github.com/o/r.git.git", wantErr: true},
		{name: "dot segment", in: "github.com/o/../r", wantErr: true},
		{name: "empty segment", in: "github.com/o//r", wantErr: true},
		{name: "escape", in: "github.com/o/%72", wantErr: true},
		{name: "space", in: "example .com", wantErr: true},
		{name: "bad scheme", in: "1http://example.com", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePattern(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParsePattern(%q) = %q, want error", tc.in, p)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePattern(%q) error: %v", tc.in, err)
			}
			if p.String() != tc.want {
				t.Fatalf("ParsePattern(%q) = %q, want %q", tc.in, p, tc.want)
			}
		})
	}
}

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, host, full string
		want                bool
	}{
		{"*", "example.com", "example.com", true},
		{"*", "github.com", "github.com/o/r", true},
		{"*", "127.0.0.1", "127.0.0.1", false},
		{"*", "::1", "::1", false},
		{"*", "::ffff:127.0.0.1", "::ffff:127.0.0.1", false},
		{"*", "", "", false},
		{"*.example.com", "example.com", "example.com", true},
		{"*.example.com", "a.example.com", "a.example.com", true},
		{"*.example.com", "a.b.example.com", "a.b.example.com", true},
		{"*.example.com", "evilexample.com", "evilexample.com", false},
		{"*.example.com", "example.com.evil.com", "example.com.evil.com", false},
		{"*.example.com", "xample.com", "xample.com", false},
		{"*.example.com", "com", "com", false},
		{"example.com", "example.com", "example.com", true},
		{"Example.COM.", "example.com", "example.com", true},
		{"example.com", "a.example.com", "a.example.com", false},
		{"example.com", "example.com", "example.com/o/r", true},
		{"https://example.com/", "example.com", "example.com", true},
		{"bücher.example", "xn--bcher-kva.example", "xn--bcher-kva.example", true},
		{"127.0.0.1", "127.0.0.1", "127.0.0.1", true},
		{"0x7f.1", "127.0.0.1", "127.0.0.1", true},
		{"github.com/owner/repo", "github.com", "github.com/owner/repo", true},
		{"github.com/owner/repo", "github.com", "github.com/owner/repo2", false},
		{"github.com/owner/repo", "github.com", "github.com/owner", false},
		{"github.com/owner/repo", "github.com", "github.com", false},
		{"github.com/Owner/Repo.git", "github.com", "github.com/owner/repo", true},
		{"github.com/owner", "github.com", "github.com/owner/repo", false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"_"+tc.full, func(t *testing.T) {
			p, err := ParsePattern(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Match(tc.host, tc.full); got != tc.want {
				t.Fatalf("ParsePattern(%q).Match(%q, %q) = %v, want %v", tc.pattern, tc.host, tc.full, got, tc.want)
			}
		})
	}
	if (Pattern{}).Match("example.com", "example.com") {
		t.Fatal("zero Pattern matched")
	}
}

func TestPatternMatchURLAndRemote(t *testing.T) {
	p, _ := ParsePattern("*.github.com")
	u, _ := ParseURL("https://api.GITHUB.com./x")
	if !p.MatchURL(u) {
		t.Fatalf("%q.MatchURL(%q) = false", p, u)
	}
	u, _ = ParseURL("https://github.com@evil.com/")
	if p.MatchURL(u) {
		t.Fatalf("%q.MatchURL(%q) = true", p, u)
	}
	full, _ := ParsePattern("github.com/owner/repo")
	g, err := ParseGitRemote(t.Context(), "git@GitHub.com:Owner/Repo.git", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !full.MatchRemote(g) {
		t.Fatalf("%q.MatchRemote(%q) = false", full, g)
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"*", "*.example.com", "Example.com.", "github.com/Owner/Repo.git",
		"https://bücher.example/", "127.1", "[::1]", "https://*.x.com:443"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParsePattern(in)
		if err != nil {
			return
		}
		q, err := ParsePattern(p.String())
		if err != nil || q != p {
			t.Fatalf("ParsePattern(ParsePattern(%q).String()) = %q, %v, want %q", in, q, err, p)
		}
		host, full := p.String(), p.String()
		switch {
		case p.kind == patAny:
			return
		case p.kind == patSuffix:
			host = strings.TrimPrefix(host, "*.")
			full = host
		case p.kind == patFull:
			host = host[:strings.IndexByte(host, '/')]
		}
		if !p.Match(host, full) {
			t.Fatalf("ParsePattern(%q) = %q does not match its own host %q / %q", in, p, host, full)
		}
		if p.kind == patSuffix && !p.Match("sub."+host, "sub."+host) {
			t.Fatalf("ParsePattern(%q) = %q does not match a subdomain", in, p)
		}
	})
}
