package git

import (
	"strings"
	"testing"
)

func TestCheckRev(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"HEAD", true},
		{"HEAD~2", true},
		{"v1.0^{tree}", true},
		{"main@{1}", true},
		{"origin/main", true},
		{"HEAD@{2 days ago}", true},
		{"", false},
		{"-x", false},
		{"--output=/tmp/x", false},
		{"main\n", false},
		{"a\x00b", false},
		{"\xff", false},
		{strings.Repeat("a", maxArgLen+1), false},
	}
	for _, tc := range tests {
		if err := checkRev("rev", tc.in); (err == nil) != tc.ok {
			t.Errorf("checkRev(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestCheckRefName(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"main", true},
		{"feature/x-1", true},
		{"v1.0", true},
		{"-f", false},
		{"+main", false},
		{"a:b", false},
		{"a b", false},
		{"a..b", false},
		{"a.lock", false},
		{"a/", false},
		{"/a", false},
		{"a//b", false},
		{"a@{b", false},
		{"@", false},
		{"a^", false},
		{"x\\y", false},
	}
	for _, tc := range tests {
		if err := checkRefName("name", tc.in); (err == nil) != tc.ok {
			t.Errorf("checkRefName(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestCheckRemoteName(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"origin", true},
		{"my-fork_2.x", true},
		{"..", false},
		{".", false},
		{"...", false},
		{"--upload-pack", false},
		{"a/b", false},
		{"host:path", false},
		{"a b", false},
		{strings.Repeat("a", 256), false},
	}
	for _, tc := range tests {
		if err := checkRemoteName("remote", tc.in); (err == nil) != tc.ok {
			t.Errorf("checkRemoteName(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
}

func TestParseRemoteURL(t *testing.T) {
	tests := []struct {
		in    string
		kind  remoteKind
		local string
	}{
		{"https://github.com/o/r.git", remoteNetwork, ""},
		{"http://127.0.0.1:8080/r", remoteNetwork, ""},
		{"ssh://git@github.com/o/r.git", remoteNetwork, ""},
		{"git+ssh://host/r", remoteNetwork, ""},
		{"git@github.com:o/r.git", remoteNetwork, ""},
		{"host:r", remoteNetwork, ""},
		{"/srv/repo.git", remoteLocal, "/srv/repo.git"},
		{"file:///srv/repo.git", remoteLocal, "/srv/repo.git"},
		{"file://localhost/srv/r", remoteLocal, "/srv/r"},
		// refused
		{"", 0, ""},
		{"-u", 0, ""},
		{"--upload-pack=x", 0, ""},
		{"ext::sh -c x", 0, ""},
		{"fd::3", 0, ""},
		{"git://host/r", 0, ""},
		{"ftp://host/r", 0, ""},
		{"ssh://-oProxyCommand=x/r", 0, ""},
		{"ssh://-u@host/r", 0, ""},
		{"-oProxyCommand=x:r", 0, ""},
		{"user@-oProxy:r", 0, ""},
		{"https:///nohost", 0, ""},
		{"file://otherhost/r", 0, ""},
		{"file:///a/%2e%2e/b", 0, ""},
		{"relative/path", 0, ""},
		{"https://host/r\n", 0, ""},
	}
	for _, tc := range tests {
		kind, local, err := parseRemoteURL(tc.in)
		if tc.kind == 0 {
			if err == nil {
				t.Errorf("parseRemoteURL(%q) = %v, %q, want an error", tc.in, kind, local)
			}
			continue
		}
		if err != nil || kind != tc.kind || local != tc.local {
			t.Errorf("parseRemoteURL(%q) = %v, %q, %v; want %v, %q", tc.in, kind, local, err, tc.kind, tc.local)
		}
	}
}

func TestCheckStashRef(t *testing.T) {
	for in, ok := range map[string]bool{
		"stash@{0}": true, "stash@{12}": true, "3": true,
		"stash@{-1}": false, "HEAD": false, "-1": false, "stash@{0}^": false, "": false,
	} {
		if err := checkStashRef(in); (err == nil) != ok {
			t.Errorf("checkStashRef(%q) = %v, want ok=%v", in, err, ok)
		}
	}
}

func TestCheckAuthor(t *testing.T) {
	tests := []struct {
		name, email string
		ok          bool
	}{
		{"Ada Lovelace", "ada@example.com", true},
		{"", "a@b.example", false},
		{"a <x@y>", "a@b.example", false},
		{"a\nb", "a@b.example", false},
		{"a", "not-an-address", false},
		{"a", "a@b.example>", false},
		{"a", "a b@c.example", false},
	}
	for _, tc := range tests {
		if err := checkAuthor(tc.name, tc.email); (err == nil) != tc.ok {
			t.Errorf("checkAuthor(%q, %q) = %v, want ok=%v", tc.name, tc.email, err, tc.ok)
		}
	}
}

func TestParseConfigList(t *testing.T) {
	got, err := parseConfigList("local\x00core.bare\nfalse\x00local\x00a.b\x00worktree\x00x.multi\nline1\nline2\x00")
	if err != nil {
		t.Fatal(err)
	}
	want := []configEntry{
		{"local", "core.bare", "false", true},
		{"local", "a.b", "", false},
		{"worktree", "x.multi", "line1\nline2", true},
	}
	if len(got) != len(want) {
		t.Fatalf("parseConfigList = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("parseConfigList entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"local", "local\x00", "local\x00nodot\x00", "\x00a.b\x00", "local\x00a.b\x00local\x00"} {
		if es, err := parseConfigList(bad); err == nil {
			t.Errorf("parseConfigList(%q) = %v, want an error", bad, es)
		}
	}
}

func TestDangerousKey(t *testing.T) {
	s := &server{}
	sc := &server{credOK: true}
	tests := []struct {
		srv    *server
		key    string
		danger bool
	}{
		{s, "filter.lfs.clean", true},
		{s, "filter.lfs.required", false},
		{s, "FILTER.x.Smudge", true},
		{s, "diff.external", true},
		{s, "diff.x.textconv", true},
		{s, "diff.renames", false},
		{s, "merge.x.driver", true},
		{s, "merge.ff", false},
		{s, "core.gitproxy", true},
		{s, "core.bare", false},
		{s, "remote.origin.uploadpack", true},
		{s, "remote.origin.url", false},
		{s, "credential.helper", false},
		{sc, "credential.helper", true},
		{sc, "credential.https://a.example.helper", true},
		{sc, "credential.username", false},
		{s, "gpg.program", true},
		{s, "gpg.ssh.program", true},
		{s, "hook.x.command", true},
		{s, "trailer.sign.command", true},
		{s, "protocol.file.allow", true},
		{s, "user.name", false},
	}
	for _, tc := range tests {
		if why := tc.srv.dangerousKey(tc.key); (why != "") != tc.danger {
			t.Errorf("dangerousKey(%q, credOK=%v) = %q, want dangerous=%v", tc.key, tc.srv.credOK, why, tc.danger)
		}
	}
}
