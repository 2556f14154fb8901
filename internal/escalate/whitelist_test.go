package escalate

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

func rv(role policy.Role, arg, value, host string) policy.RoleValue {
	return policy.RoleValue{Role: role, Arg: arg, Value: value, Host: host}
}

func esc(roles []policy.Role, values ...policy.RoleValue) policy.Decision {
	return policy.Decision{Verdict: policy.Escalate, Rule: "r", EscalatedRoles: roles, Values: values}
}

var (
	wp    = []policy.Role{policy.RoleWritePath}
	fetch = []policy.Role{policy.RoleFetchURL}
	owner = []policy.Role{policy.RoleGitHubOwner}
)

func TestWhitelist(t *testing.T) {
	tests := []struct {
		name         string
		approved     Request
		server, tool string
		later        policy.Decision
		want         bool
	}{
		{"path in same directory",
			Request{Server: "fs", Tool: "write", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a.txt", "")}},
			"fs", "write", esc(wp, rv(policy.RoleWritePath, "path", "/h/docs/b.txt", "")), true},
		{"path in a subdirectory",
			Request{Server: "fs", Tool: "write", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a.txt", "")}},
			"fs", "write", esc(wp, rv(policy.RoleWritePath, "path", "/h/docs/sub/c.txt", "")), true},
		{"sibling directory with the same prefix",
			Request{Server: "fs", Tool: "write", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a.txt", "")}},
			"fs", "write", esc(wp, rv(policy.RoleWritePath, "path", "/h/docs2/a.txt", "")), false},
		{"parent directory",
			Request{Server: "fs", Tool: "write", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a.txt", "")}},
			"fs", "write", esc(wp, rv(policy.RoleWritePath, "path", "/h/x", "")), false},
		{"one of two values outside",
			Request{Server: "fs", Tool: "write", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a.txt", "")}},
			"fs", "write", esc(wp, rv(policy.RoleWritePath, "a", "/h/docs/b", ""), rv(policy.RoleWritePath, "b", "/etc/x", "")), false},
		{"other tool",
			Request{Server: "fs", Tool: "write", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a.txt", "")}},
			"fs", "delete", esc(wp, rv(policy.RoleWritePath, "path", "/h/docs/b.txt", "")), false},
		{"other server",
			Request{Server: "fs", Tool: "write", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a.txt", "")}},
			"fs2", "write", esc(wp, rv(policy.RoleWritePath, "path", "/h/docs/b.txt", "")), false},
		{"a role the human was not asked about",
			Request{Server: "fs", Tool: "move", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "dst", "/h/docs/a", "")}},
			"fs", "move", esc([]policy.Role{policy.RoleWritePath, policy.RoleDeletePath},
				rv(policy.RoleWritePath, "dst", "/h/docs/b", ""), rv(policy.RoleDeletePath, "src", "/h/docs/c", "")), false},
		{"covered role has no value",
			Request{Server: "fs", Tool: "write", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a.txt", "")}},
			"fs", "write", esc(wp), false},
		{"no escalated roles",
			Request{Server: "fs", Tool: "write", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a.txt", "")}},
			"fs", "write", esc(nil, rv(policy.RoleWritePath, "path", "/h/docs/b.txt", "")), false},
		{"two approved directories for one role",
			Request{Server: "fs", Tool: "move", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "src", "/h/a/x", ""), rv(policy.RoleWritePath, "dst", "/h/b/y", "")}},
			"fs", "move", esc(wp, rv(policy.RoleWritePath, "src", "/h/b/z", ""), rv(policy.RoleWritePath, "dst", "/h/a/w", "")), true},
		{"url same host",
			Request{Server: "fetch", Tool: "get", EscalatedRoles: fetch, Values: []policy.RoleValue{rv(policy.RoleFetchURL, "url", "https://docs.example.com/a", "docs.example.com")}},
			"fetch", "get", esc(fetch, rv(policy.RoleFetchURL, "url", "http://docs.example.com/other?q", "docs.example.com")), true},
		{"url other host",
			Request{Server: "fetch", Tool: "get", EscalatedRoles: fetch, Values: []policy.RoleValue{rv(policy.RoleFetchURL, "url", "https://docs.example.com/a", "docs.example.com")}},
			"fetch", "get", esc(fetch, rv(policy.RoleFetchURL, "url", "https://evil.example.com/a", "evil.example.com")), false},
		{"url subdomain is another host",
			Request{Server: "fetch", Tool: "get", EscalatedRoles: fetch, Values: []policy.RoleValue{rv(policy.RoleFetchURL, "url", "https://example.com/a", "example.com")}},
			"fetch", "get", esc(fetch, rv(policy.RoleFetchURL, "url", "https://x.example.com/a", "x.example.com")), false},
		{"git remote same host",
			Request{Server: "git", Tool: "push", EscalatedRoles: []policy.Role{policy.RoleGitRemoteURL}, Values: []policy.RoleValue{rv(policy.RoleGitRemoteURL, "remote", "https://github.com/a/b", "github.com")}},
			"git", "push", esc([]policy.Role{policy.RoleGitRemoteURL}, rv(policy.RoleGitRemoteURL, "remote", "ssh://git@github.com/c/d", "github.com")), true},
		{"identifier exact",
			Request{Server: "gh", Tool: "issue", EscalatedRoles: owner, Values: []policy.RoleValue{rv(policy.RoleGitHubOwner, "owner", "acme", "")}},
			"gh", "issue", esc(owner, rv(policy.RoleGitHubOwner, "owner", "acme", "")), true},
		{"identifier other",
			Request{Server: "gh", Tool: "issue", EscalatedRoles: owner, Values: []policy.RoleValue{rv(policy.RoleGitHubOwner, "owner", "acme", "")}},
			"gh", "issue", esc(owner, rv(policy.RoleGitHubOwner, "owner", "acme-evil", "")), false},
		{"history role never whitelisted",
			Request{Server: "git", Tool: "reset", EscalatedRoles: []policy.Role{policy.RoleWritePath, policy.RoleWriteHistory},
				Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/repo/f", ""), rv(policy.RoleWriteHistory, "path", "/h/repo", "")}},
			"git", "reset", esc([]policy.Role{policy.RoleWritePath, policy.RoleWriteHistory},
				rv(policy.RoleWritePath, "path", "/h/repo/g", ""), rv(policy.RoleWriteHistory, "path", "/h/other", "")), false},
		{"non-escalated value does not constrain",
			Request{Server: "fs", Tool: "copy", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleReadPath, "src", "/h/in/a", ""), rv(policy.RoleWritePath, "dst", "/h/out/a", "")}},
			"fs", "copy", esc(wp, rv(policy.RoleReadPath, "src", "/elsewhere/b", ""), rv(policy.RoleWritePath, "dst", "/h/out/b", "")), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBroker(t, Config{})
			entry, err := b.AddWhitelist(tc.approved)
			if err != nil {
				t.Fatalf("AddWhitelist(%+v) = %v", tc.approved, err)
			}
			got, ok := b.Whitelisted(tc.server, tc.tool, tc.later)
			if ok != tc.want {
				t.Errorf("Whitelisted(%s, %s, %+v) = %q, %v, want %v (entry %q)", tc.server, tc.tool, tc.later, got, ok, tc.want, entry)
			}
			if ok && got != entry {
				t.Errorf("Whitelisted named %q, want %q", got, entry)
			}
		})
	}
}

// The whitelist turns escalate into allow and nothing else: a deny (or an
// allow) with values that match an entry is never reported as whitelisted.
func TestWhitelistNeverOverridesDeny(t *testing.T) {
	b := newBroker(t, Config{})
	if _, err := b.AddWhitelist(Request{Server: "fs", Tool: "write", EscalatedRoles: wp,
		Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a", "")}}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []policy.Verdict{policy.Deny, policy.Allow, policy.Verdict(9)} {
		d := esc(wp, rv(policy.RoleWritePath, "path", "/h/docs/b", ""))
		d.Verdict = v
		if e, ok := b.Whitelisted("fs", "write", d); ok {
			t.Errorf("Whitelisted(verdict %v) = %q, true, want false", v, e)
		}
	}
}

func TestWhitelistRefusesEntryWithoutConstraints(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"no escalated roles", Request{Server: "fs", Tool: "w", Values: []policy.RoleValue{rv(policy.RoleWritePath, "p", "/h/a", "")}}, "nothing to build"},
		{"escalated role without values", Request{Server: "fs", Tool: "w", EscalatedRoles: wp}, "nothing to build"},
		{"only history roles", Request{Server: "git", Tool: "reset", EscalatedRoles: []policy.Role{policy.RoleWriteHistory, policy.RoleDeleteHistory},
			Values: []policy.RoleValue{rv(policy.RoleWriteHistory, "p", "/h/repo", ""), rv(policy.RoleDeleteHistory, "p", "/h/repo", "")}}, "history roles never are"},
		{"opaque role", Request{Server: "git", Tool: "c", EscalatedRoles: []policy.Role{policy.RoleCommitMessage},
			Values: []policy.RoleValue{rv(policy.RoleCommitMessage, "m", "hi", "")}}, "nothing to build"},
		{"file directly under root", Request{Server: "fs", Tool: "w", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "p", "/ironcurtain-no-such-file", "")}}, "directory is everything"},
		{"relative path", Request{Server: "fs", Tool: "w", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "p", "h/a", "")}}, "not a canonical path"},
		{"unclean path", Request{Server: "fs", Tool: "w", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "p", "/h/../etc/a", "")}}, "not a canonical path"},
		{"url without host", Request{Server: "f", Tool: "g", EscalatedRoles: fetch, Values: []policy.RoleValue{rv(policy.RoleFetchURL, "u", "https://x/", "")}}, "no host"},
		{"empty identifier", Request{Server: "gh", Tool: "i", EscalatedRoles: owner, Values: []policy.RoleValue{rv(policy.RoleGitHubOwner, "o", "", "")}}, "empty identifier"},
		{"no tool", Request{Server: "fs", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "p", "/h/a", "")}}, "no server or tool"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBroker(t, Config{})
			e, err := b.AddWhitelist(tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("AddWhitelist(%+v) = %q, %v, want error containing %q", tc.req, e, err, tc.want)
			}
			if len(b.whitelist) != 0 {
				t.Errorf("a refused entry was added")
			}
		})
	}
}

func TestDescribeEntry(t *testing.T) {
	req := Request{Server: "fs", Tool: "move", EscalatedRoles: []policy.Role{policy.RoleWritePath, policy.RoleFetchURL, policy.RoleGitHubOwner},
		Values: []policy.RoleValue{
			rv(policy.RoleWritePath, "dst", "/h/b/y", ""), rv(policy.RoleWritePath, "src", "/h/a/x", ""),
			rv(policy.RoleWritePath, "again", "/h/a/z", ""),
			rv(policy.RoleFetchURL, "u", "https://e.com/", "e.com"), rv(policy.RoleGitHubOwner, "o", "acme", ""),
		}}
	got, err := DescribeEntry(req)
	want := "fs/move with write-path within /h/a, write-path within /h/b, fetch-url on host e.com, github-owner = acme"
	if err != nil || got != want {
		t.Errorf("DescribeEntry = %q, %v, want %q", got, err, want)
	}
	b := newBroker(t, Config{})
	e1, _ := b.AddWhitelist(req)
	e2, _ := b.AddWhitelist(req)
	if e1 != "#1 "+want || e2 != "#2 "+want {
		t.Errorf("AddWhitelist entries = %q, %q", e1, e2)
	}
}

// Lookups and additions may race with each other (many calls at once);
// the race detector checks the locking.
func TestWhitelistConcurrent(t *testing.T) {
	b := newBroker(t, Config{})
	req := Request{Server: "fs", Tool: "write", EscalatedRoles: wp, Values: []policy.RoleValue{rv(policy.RoleWritePath, "path", "/h/docs/a", "")}}
	d := esc(wp, rv(policy.RoleWritePath, "path", "/h/docs/b", ""))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := b.AddWhitelist(req); err != nil {
				t.Error(err)
			}
			if _, ok := b.Whitelisted("fs", "write", d); !ok {
				t.Error("not whitelisted after AddWhitelist")
			}
		})
	}
	wg.Wait()
}

// TestWhitelistDirectoryStandsForItself: approving a listing of a directory
// allows that directory, not its parent (~ must not become /home).
func TestWhitelistDirectoryStandsForItself(t *testing.T) {
	dir := t.TempDir()
	b := newBroker(t, Config{})
	req := Request{Server: "fs", Tool: "list", EscalatedRoles: []policy.Role{policy.RoleReadPath},
		Values: []policy.RoleValue{{Role: policy.RoleReadPath, Arg: "path", Value: dir}}}
	if _, err := b.AddWhitelist(req); err != nil {
		t.Fatal(err)
	}
	inside := policy.Decision{Verdict: policy.Escalate, EscalatedRoles: []policy.Role{policy.RoleReadPath},
		Values: []policy.RoleValue{{Role: policy.RoleReadPath, Arg: "path", Value: dir + "/sub"}}}
	if _, ok := b.Whitelisted("fs", "list", inside); !ok {
		t.Error("a path inside the approved directory is not whitelisted")
	}
	sibling := inside
	sibling.Values = []policy.RoleValue{{Role: policy.RoleReadPath, Arg: "path", Value: filepath.Dir(dir) + "/other"}}
	if _, ok := b.Whitelisted("fs", "list", sibling); ok {
		t.Error("a sibling of the approved directory is whitelisted")
	}
}
