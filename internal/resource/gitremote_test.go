package resource

import (
	"context"
	"errors"
	"testing"
)

type fakeRemotes map[string]string

func (f fakeRemotes) RemoteURL(_ context.Context, dir, name string) (string, error) {
	if u, ok := f[dir+"|"+name]; ok {
		return u, nil
	}
	return "", errors.New("no such remote")
}

func TestParseGitRemote(t *testing.T) {
	rr := fakeRemotes{
		"/repo|origin":    "https://github.com/Owner/Repo.git",
		"/repo|up.stream": "git@0x7f.1:o/r",
		"/repo|local":     "/srv/git/repo.git",
		"/repo|loop":      "origin",
		"/repo|inject":    "-oProxyCommand=touch /tmp/x",
	}
	tests := []struct {
		name, in, str, host, full string
		wantErr                   bool
	}{
		{name: "https", in: "https://GitHub.com/Owner/Repo.git", str: "https://github.com/Owner/Repo.git", host: "github.com", full: "github.com/owner/repo"},
		{name: "https no .git", in: "https://github.com/owner/repo", str: "https://github.com/owner/repo", host: "github.com", full: "github.com/owner/repo"},
		{name: "https trailing slash", in: "https://github.com/owner/repo/", str: "https://github.com/owner/repo/", host: "github.com", full: "github.com/owner/repo"},
		{name: "https token", in: "https://x-access-token:abc@github.com/o/r.git", str: "https://x-access-token:abc@github.com/o/r.git", host: "github.com", full: "github.com/o/r"},
		{name: "https host only", in: "https://github.com", str: "https://github.com", host: "github.com", full: "github.com"},
		{name: "https port", in: "https://git.example.com:8443/o/r", str: "https://git.example.com:8443/o/r", host: "git.example.com", full: "git.example.com/o/r"},
		{name: "http", in: "http://git.example.com/o/r.git", str: "http://git.example.com/o/r.git", host: "git.example.com", full: "git.example.com/o/r"},
		{name: "ssh", in: "ssh://git@github.com/o/r.git", str: "ssh://git@github.com/o/r.git", host: "github.com", full: "github.com/o/r"},
		{name: "ssh default port", in: "ssh://git@github.com:22/o/r.git", str: "ssh://git@github.com/o/r.git", host: "github.com", full: "github.com/o/r"},
		{name: "ssh port", in: "ssh://github.com:2222/o/r", str: "ssh://github.com:2222/o/r", host: "github.com", full: "github.com/o/r"},
		{name: "ssh ipv6", in: "ssh://[::1]/o/r", str: "ssh://[::1]/o/r", host: "::1", full: "::1/o/r"},
		{name: "git", in: "git://github.com/o/r", str: "git://github.com/o/r", host: "github.com", full: "github.com/o/r"},
		{name: "scp", in: "git@github.com:Owner/Repo.git", str: "git@github.com:Owner/Repo.git", host: "github.com", full: "github.com/owner/repo"},
		{name: "scp no user", in: "github.com:o/r", str: "github.com:o/r", host: "github.com", full: "github.com/o/r"},
		{name: "scp host canonicalized", in: "git@GitHub.COM.:o/r", str: "git@github.com:o/r", host: "github.com", full: "github.com/o/r"},
		{name: "scp absolute path", in: "git@host.example:/srv/r.git", str: "git@host.example:/srv/r.git", host: "host.example", full: "host.example/srv/r"},
		{name: "scp tilde", in: "host.example:~u/r", str: "host.example:~u/r", host: "host.example", full: "host.example/~u/r"},
		{name: "named", in: "origin", str: "https://github.com/Owner/Repo.git", host: "github.com", full: "github.com/owner/repo"},
		{name: "named scp", in: "up.stream", str: "git@127.0.0.1:o/r", host: "127.0.0.1", full: "127.0.0.1/o/r"},
		{name: "named unknown", in: "nope", wantErr: true},
		{name: "named to local path", in: "local", wantErr: true},
		{name: "named to name", in: "loop", wantErr: true},
		{name: "named to injection", in: "inject", wantErr: true},
		{name: "option injection", in: "-oProxyCommand=x", wantErr: true},
		{name: "option injection upload-pack", in: "--upload-pack=touch /tmp/x", wantErr: true},
		{name: "ssh user injection", in: "ssh://-oProxyCommand=x@host/o/r", wantErr: true},
		{name: "ssh escaped user injection", in: "ssh://%2DoProxyCommand@host/o/r", wantErr: true},
		{name: "scp user injection", in: "-o@host:o/r", wantErr: true},
		{name: "scp host injection", in: "u@-oProxyCommand:o/r", wantErr: true},
		{name: "scp double at", in: "a@b@host:o/r", wantErr: true},
		{name: "scp brackets", in: "git@[::1]:o/r", wantErr: true},
		{name: "scp empty path", in: "host:", wantErr: true},
		{name: "ext transport", in: "ext::sh -c touch% /tmp/x", wantErr: true},
		{name: "ext transport nospace", in: "ext::o/r", wantErr: true},
		{name: "fd transport", in: "fd::17", wantErr: true},
		{name: "file url", in: "file:///srv/repo.git", wantErr: true},
		{name: "file url host", in: "file://localhost/srv/repo.git", wantErr: true},
		{name: "git+ssh", in: "git+ssh://host/o/r", wantErr: true},
		{name: "absolute path", in: "/srv/repo.git", wantErr: true},
		{name: "relative path", in: "./repo", wantErr: true},
		{name: "parent path", in: "../repo", wantErr: true},
		{name: "dot", in: ".", wantErr: true},
		{name: "dotdot", in: "..", wantErr: true},
		{name: "path with slash", in: "repos/r.git", wantErr: true},
		{name: "query", in: "https://github.com/o/r?x", wantErr: true},
		{name: "escape in path", in: "https://github.com/o/%72", wantErr: true},
		{name: "dot segment", in: "https://github.com/o/../evil/r", wantErr: true},
		{name: "backslash", in: "https://github.com\\@evil.com/o/r", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "space", in: "origin ", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ParseGitRemote(t.Context(), tc.in, "/repo", rr)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseGitRemote(%q) = %q (full %q), want error", tc.in, g, g.Full())
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseGitRemote(%q) error: %v", tc.in, err)
			}
			if g.String() != tc.str || g.Host() != tc.host || g.Full() != tc.full {
				t.Fatalf("ParseGitRemote(%q) = %q host %q full %q, want %q host %q full %q",
					tc.in, g, g.Host(), g.Full(), tc.str, tc.host, tc.full)
			}
		})
	}
}

func TestParseGitRemoteNamedWithoutResolver(t *testing.T) {
	if g, err := ParseGitRemote(t.Context(), "origin", "/repo", nil); err == nil {
		t.Fatalf("ParseGitRemote(%q) with nil resolver = %q, want error", "origin", g)
	}
	g, err := ParseGitRemote(t.Context(), "origin", "/repo", fakeRemotes{"/repo|origin": "https://h.example/o/r"})
	if err != nil || g.Name() != "origin" {
		t.Fatalf("ParseGitRemote(origin).Name() = %q, %v, want %q", g.Name(), err, "origin")
	}
}

func FuzzParseGitRemote(f *testing.F) {
	for _, s := range []string{"https://github.com/Owner/Repo.git", "git@github.com:o/r.git", "origin",
		"ssh://git@[::1]:22/o/r", "git://0x7f.1/o/r/", "-x", "file:///x", "host:~u/r"} {
		f.Add(s)
	}
	rr := fakeRemotes{"/repo|origin": "git@GitHub.com.:Owner/Repo.git"}
	f.Fuzz(func(t *testing.T, in string) {
		g, err := ParseGitRemote(context.Background(), in, "/repo", rr)
		if err != nil {
			return
		}
		if !isLowerASCIIHost(g.Host()) {
			t.Fatalf("ParseGitRemote(%q).Host() = %q: not lowercase ASCII", in, g.Host())
		}
		h, err := ParseGitRemote(context.Background(), g.String(), "/repo", nil)
		if err != nil {
			t.Fatalf("ParseGitRemote(%q) = %q, which does not reparse: %v", in, g, err)
		}
		if h.Full() != g.Full() || h.Host() != g.Host() || h.String() != g.String() {
			t.Fatalf("ParseGitRemote(ParseGitRemote(%q)) = %q full %q, want %q full %q", in, h, h.Full(), g, g.Full())
		}
	})
}
