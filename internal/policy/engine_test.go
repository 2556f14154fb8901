package policy_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

type fixture struct {
	home, sandbox string
	eng           *policy.Engine
}

// newFixture builds an engine over testdata with a real temporary home:
// ~/Documents exists, the sandbox is ~/.ironcurtain/sandbox and the whole
// ~/.ironcurtain is protected.
func newFixture(t testing.TB, allow map[string][]string, remotes resource.RemoteResolver) *fixture {
	t.Helper()
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sandbox := filepath.Join(home, ".ironcurtain", "sandbox")
	for _, d := range []string{sandbox, filepath.Join(home, "Documents")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(home, ".ironcurtain", "config.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	pol, err := policy.LoadPolicy("testdata/compiled-policy.json", "testdata/dynamic-lists.json")
	if err != nil {
		t.Fatal(err)
	}
	ann, err := policy.LoadAnnotations("testdata/tool-annotations.json")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.New(policy.Config{
		Policy:           pol,
		Annotations:      ann,
		Home:             home,
		Sandbox:          sandbox,
		Protected:        []string{filepath.Join(home, ".ironcurtain"), "~/secrets"},
		DomainAllowlists: allow,
		FS:               resource.OSFS{},
		Remotes:          remotes,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{home: home, sandbox: sandbox, eng: eng}
}

func call(server, tool string, args map[string]any) policy.Call {
	if args == nil {
		args = map[string]any{}
	}
	return policy.Call{Server: server, Tool: tool, Arguments: args}
}

func TestDecide(t *testing.T) {
	f := newFixture(t, map[string][]string{"git": {"github.com", "*.github.com"}}, fakeRemotes{"origin": "https://github.com/me/repo.git"})
	if err := os.Symlink(filepath.Join(f.home, ".ironcurtain", "config.json"), filepath.Join(f.sandbox, "innocent")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(f.home, "Documents"), filepath.Join(f.sandbox, "docs")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		call      policy.Call
		want      policy.Verdict
		rule      string
		escalated []policy.Role
	}{
		{"unknown tool", call("filesystem", "format_disk", nil), policy.Deny, policy.RuleUnknownTool, nil},
		{"unknown server", call("nope", "read_file", nil), policy.Deny, policy.RuleUnknownTool, nil},
		{"unannotated argument", call("filesystem", "read_file", map[string]any{"path": "a", "mode": "x"}), policy.Deny, policy.RuleUnannotatedArgument, nil},
		{"wrong type", call("filesystem", "read_file", map[string]any{"path": 42.0}), policy.Deny, policy.RuleInvalidArgument, nil},
		{"array of non-strings", call("filesystem", "read_multiple_files", map[string]any{"paths": []any{"a", true}}), policy.Deny, policy.RuleInvalidArgument, nil},
		{"NUL in path", call("filesystem", "read_file", map[string]any{"path": "a\x00b"}), policy.Deny, policy.RuleInvalidArgument, nil},
		{"protected path", call("filesystem", "read_file", map[string]any{"path": "~/.ironcurtain/config.json"}), policy.Deny, policy.RuleProtectedPath, nil},
		{"protected via ..", call("filesystem", "read_file", map[string]any{"path": "../config.json"}), policy.Deny, policy.RuleProtectedPath, nil},
		{"protected via symlink in sandbox", call("filesystem", "read_file", map[string]any{"path": "innocent"}), policy.Deny, policy.RuleProtectedPath, nil},
		{"protected path that does not exist", call("filesystem", "write_file", map[string]any{"path": "~/secrets/new", "content": "x"}), policy.Deny, policy.RuleProtectedPath, nil},
		{"sandbox exempt inside protected home", call("filesystem", "write_file", map[string]any{"path": "notes/today.md", "content": "x"}), policy.Allow, policy.RuleSandboxAllow, nil},
		{"introspection", call("filesystem", "list_allowed_directories", nil), policy.Allow, policy.RuleIntrospection, nil},
		{"rule allows documents", call("filesystem", "read_file", map[string]any{"path": "~/Documents/a.txt"}), policy.Allow, "allow-read-docs", nil},
		{"symlink out of sandbox judged by target", call("filesystem", "read_file", map[string]any{"path": "docs/a.txt"}), policy.Allow, "allow-read-docs", nil},
		{"default deny", call("filesystem", "read_file", map[string]any{"path": "/etc/passwd"}), policy.Deny, policy.RuleDefaultDeny, nil},
		{"escalate write", call("filesystem", "write_file", map[string]any{"path": "~/Documents/a.txt", "content": "x"}), policy.Escalate, "escalate-write-elsewhere", []policy.Role{policy.RoleWritePath}},
		{"multi-path: sandbox and documents", call("filesystem", "read_multiple_files", map[string]any{"paths": []any{"a.txt", "~/Documents/b.txt"}}), policy.Allow, "allow-read-docs", nil},
		{"multi-path: one value outside", call("filesystem", "read_multiple_files", map[string]any{"paths": []any{"~/Documents/b.txt", "/etc/shadow"}}), policy.Deny, policy.RuleDefaultDeny, nil},
		{"conditional role narrows", call("filesystem", "edit_file", map[string]any{"path": "~/Documents/a.txt", "dryRun": true}), policy.Allow, "allow-read-docs", nil},
		{"conditional role default", call("filesystem", "edit_file", map[string]any{"path": "~/Documents/a.txt", "dryRun": false}), policy.Escalate, "escalate-write-elsewhere", []policy.Role{policy.RoleWritePath}},
		{"domain gate escalates", call("git", "git_push", map[string]any{"path": ".", "remote": "https://evil.example/x/y.git"}), policy.Escalate, policy.RuleDomainEscalate, []policy.Role{policy.RoleGitRemoteURL}},
		{"domain gate: userinfo trick", call("git", "git_push", map[string]any{"path": ".", "remote": "https://github.com@evil.example/x/y"}), policy.Escalate, policy.RuleDomainEscalate, []policy.Role{policy.RoleGitRemoteURL}},
		{"domain gate passes, rules decide", call("git", "git_push", map[string]any{"path": ".", "remote": "git@github.com:me/repo.git"}), policy.Escalate, "escalate-push", []policy.Role{policy.RoleGitRemoteURL}},
		{"named remote resolved", call("git", "git_push", map[string]any{"path": ".", "remote": "origin"}), policy.Escalate, "escalate-push", []policy.Role{policy.RoleGitRemoteURL}},
		{"named remote unknown", call("git", "git_push", map[string]any{"path": ".", "remote": "upstream"}), policy.Deny, policy.RuleInvalidArgument, nil},
		{"remote option injection", call("git", "git_push", map[string]any{"path": ".", "remote": "--upload-pack=touch /tmp/x"}), policy.Deny, policy.RuleInvalidArgument, nil},
		{"github escalate", call("github", "create_issue", map[string]any{"owner": "someone", "repo": "x", "title": "t"}), policy.Escalate, "escalate-github", []policy.Role{policy.RoleGitHubOwner, policy.RoleGitHubRepo}},
		{"removed list value", call("github", "create_issue", map[string]any{"owner": "RemovedOrg", "repo": "x", "title": "t"}), policy.Escalate, "escalate-github", []policy.Role{policy.RoleGitHubOwner, policy.RoleGitHubRepo}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := f.eng.Decide(tc.call)
			if d.Verdict != tc.want || d.Rule != tc.rule {
				t.Fatalf("Decide(%v) = %v by %s (%s), want %v by %s", tc.call, d.Verdict, d.Rule, d.Reason, tc.want, tc.rule)
			}
			if !reflect.DeepEqual(d.EscalatedRoles, tc.escalated) {
				t.Errorf("EscalatedRoles = %v, want %v", d.EscalatedRoles, tc.escalated)
			}
		})
	}
}

// The TypeScript engine's known traps, one regression test each
// (docs/POLICY.md, "Deliberate differences").

func TestTrapIdentifierListsIgnoreCase(t *testing.T) {
	f := newFixture(t, nil, nil)
	for _, owner := range []string{"myorg", "MyOrg", "MYORG"} {
		d := f.eng.Decide(call("github", "list_org_repos", map[string]any{"owner": owner}))
		if d.Verdict != policy.Allow || d.Rule != "allow-github-own-org" {
			t.Errorf("owner %q: Decide = %v by %s, want allow by allow-github-own-org", owner, d.Verdict, d.Rule)
		}
		if got := d.Arguments["owner"]; got != "myorg" {
			t.Errorf("owner %q forwarded as %v, want myorg", owner, got)
		}
	}
}

func TestTrapAbsentArgumentCreatesNoRole(t *testing.T) {
	f := newFixture(t, nil, nil)
	// copy_file's destination (write-path) is absent: nothing is written,
	// so the write-path rules must not be consulted.
	d := f.eng.Decide(call("filesystem", "copy_file", map[string]any{"source": "~/Documents/a"}))
	if d.Verdict != policy.Allow || d.Rule != "allow-read-docs" {
		t.Fatalf("Decide = %v by %s, want allow by allow-read-docs", d.Verdict, d.Rule)
	}
	// With the destination present the write role is evaluated.
	d = f.eng.Decide(call("filesystem", "copy_file", map[string]any{"source": "~/Documents/a", "destination": "~/Documents/b"}))
	if d.Verdict != policy.Escalate {
		t.Fatalf("with destination: Decide = %v by %s, want escalate", d.Verdict, d.Rule)
	}
	// An absent remote stands for the default remote and is still judged.
	d = f.eng.Decide(call("git", "git_push", map[string]any{"path": "."}))
	if d.Verdict != policy.Escalate || d.Rule != "escalate-push" {
		t.Fatalf("push without remote: Decide = %v by %s, want escalate by escalate-push", d.Verdict, d.Rule)
	}
}

func TestTrapCanonicalArgumentsForwarded(t *testing.T) {
	f := newFixture(t, nil, nil)
	if err := os.Symlink(filepath.Join(f.home, "Documents"), filepath.Join(f.sandbox, "docs")); err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"paths": []any{"sub//dir/../a.txt", "docs/b.txt"}}
	d := f.eng.Decide(call("filesystem", "read_multiple_files", args))
	if d.Verdict != policy.Allow {
		t.Fatalf("Decide = %v by %s, want allow", d.Verdict, d.Rule)
	}
	want := []any{filepath.Join(f.sandbox, "sub", "a.txt"), filepath.Join(f.home, "Documents", "b.txt")}
	if !reflect.DeepEqual(d.Arguments["paths"], want) {
		t.Fatalf("canonical paths = %v, want %v", d.Arguments["paths"], want)
	}
	if args["paths"].([]any)[0] != "sub//dir/../a.txt" {
		t.Fatal("Decide modified the caller's arguments")
	}
}

func TestTrapListRulesOnNonResourceRoles(t *testing.T) {
	f := newFixture(t, nil, nil)
	d := f.eng.Decide(call("git", "git_push", map[string]any{"path": ".", "branch": "Feature-Y"}))
	if d.Verdict != policy.Allow || d.Rule != "allow-push-feature-branches" {
		t.Fatalf("Decide = %v by %s, want allow by allow-push-feature-branches", d.Verdict, d.Rule)
	}
	d = f.eng.Decide(call("git", "git_push", map[string]any{"path": ".", "branch": "main"}))
	if d.Verdict != policy.Escalate || d.Rule != "escalate-push" {
		t.Fatalf("branch main: Decide = %v by %s, want escalate by escalate-push", d.Verdict, d.Rule)
	}
}

func TestTrapUngatedAllowRulesNeedDomains(t *testing.T) {
	f := newFixture(t, nil, nil)
	for _, u := range []string{"https://evil.example/x", "http://169.254.169.254/latest/meta-data/", "http://127.1/"} {
		d := f.eng.Decide(call("fetch", "http_fetch", map[string]any{"url": u}))
		if d.Verdict != policy.Deny {
			t.Errorf("fetch %s: Decide = %v by %s, want deny", u, d.Verdict, d.Rule)
		}
	}
	// Behind a domain gate the same rule may allow what the gate admitted.
	g := newFixture(t, map[string][]string{"fetch": {"docs.example"}}, nil)
	d := g.eng.Decide(call("fetch", "http_fetch", map[string]any{"url": "https://DOCS.example./page"}))
	if d.Verdict != policy.Allow || d.Rule != "allow-fetch-any" {
		t.Fatalf("gated fetch: Decide = %v by %s, want allow by allow-fetch-any", d.Verdict, d.Rule)
	}
	if got := d.Arguments["url"]; got != "https://docs.example/page" {
		t.Errorf("canonical url = %v", got)
	}
}

func TestExplainTrace(t *testing.T) {
	f := newFixture(t, nil, nil)
	d := f.eng.Explain(call("filesystem", "write_file", map[string]any{"path": "~/Documents/a.txt", "content": "x"}))
	var b strings.Builder
	policy.WriteDecision(&b, d, true)
	out := b.String()
	for _, want := range []string{"escalate (rule escalate-write-elsewhere)", "canonical", "arg=path", "skip", "match     role=write-path", "escalated roles: write-path"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	if d2 := f.eng.Decide(call("filesystem", "write_file", map[string]any{"path": "~/Documents/a.txt", "content": "x"})); d2.Trace != nil {
		t.Error("Decide filled a trace")
	}
}

func TestConcurrentDecide(t *testing.T) {
	f := newFixture(t, nil, nil)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				d := f.eng.Decide(call("filesystem", "read_file", map[string]any{"path": "~/Documents/a.txt"}))
				if d.Verdict != policy.Allow {
					t.Errorf("Decide = %v", d.Verdict)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// A sandbox that contains a protected directory does not unprotect it.
func TestSandboxAroundProtectedPath(t *testing.T) {
	home, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := policy.LoadPolicy("testdata/compiled-policy.json", "testdata/dynamic-lists.json")
	ann, _ := policy.LoadAnnotations("testdata/tool-annotations.json")
	for _, sandbox := range []string{home, "/", filepath.Join(home, ".ironcurtain")} {
		eng, err := policy.New(policy.Config{Policy: pol, Annotations: ann, Home: home, Sandbox: sandbox,
			Protected: []string{filepath.Join(home, ".ironcurtain")}, FS: resource.OSFS{}})
		if err != nil {
			t.Fatal(err)
		}
		d := eng.Decide(call("filesystem", "read_file", map[string]any{"path": "~/.ironcurtain/config.json"}))
		if d.Verdict != policy.Deny || d.Rule != policy.RuleProtectedPath {
			t.Errorf("sandbox %s: Decide = %v by %s, want protected-path deny", sandbox, d.Verdict, d.Rule)
		}
	}
}

func TestNewRequiresCollaborators(t *testing.T) {
	pol, _ := policy.ParsePolicy("p.json", []byte(`{"rules":[]}`), "", nil)
	ann, _ := policy.ParseAnnotations("a.json", []byte(`{"servers":{}}`))
	base := policy.Config{Policy: pol, Annotations: ann, Home: "/h", Sandbox: "/h/s", FS: resource.OSFS{}}
	for name, mut := range map[string]func(*policy.Config){
		"no policy":        func(c *policy.Config) { c.Policy = nil },
		"no annotations":   func(c *policy.Config) { c.Annotations = nil },
		"no fs":            func(c *policy.Config) { c.FS = nil },
		"relative home":    func(c *policy.Config) { c.Home = "h" },
		"relative sandbox": func(c *policy.Config) { c.Sandbox = "s" },
		"bad pattern":      func(c *policy.Config) { c.DomainAllowlists = map[string][]string{"x": {"a*b"}} },
	} {
		cfg := base
		mut(&cfg)
		if _, err := policy.New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := policy.New(base); err != nil {
		t.Fatalf("New(valid) = %v", err)
	}
}

type fakeRemotes map[string]string

func (f fakeRemotes) RemoteURL(_ context.Context, _, name string) (string, error) {
	if u, ok := f[name]; ok {
		return u, nil
	}
	return "", errors.New("no such remote")
}

func TestMayPermit(t *testing.T) {
	pol, err := policy.ParsePolicy("p.json", []byte(`{"rules":[
		{"name":"deny-forks","if":{"server":["github"],"tool":["fork"]},"then":"deny"},
		{"name":"allow-read","if":{"server":["github"],"tool":["read"]},"then":"allow"}]}`), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := policy.ParseAnnotations("a.json", []byte(`{"servers":{
		"github":{"tools":[{"toolName":"fork","args":{}},{"toolName":"read","args":{}},{"toolName":"nothing","args":{}}]},
		"filesystem":{"tools":[{"toolName":"read_file","args":{"path":["read-path"]}}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := policy.New(policy.Config{Policy: pol, Annotations: ann, Home: "/h", Sandbox: "/h/s", FS: resource.OSFS{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		server, tool string
		want         bool
	}{
		{"github", "fork", false}, {"github", "read", true}, {"github", "nothing", false},
		{"github", "unannotated", false}, {"filesystem", "read_file", true},
	} {
		if got := eng.MayPermit(tc.server, tc.tool); got != tc.want {
			t.Errorf("MayPermit(%s, %s) = %v, want %v", tc.server, tc.tool, got, tc.want)
		}
	}
}

func TestPathNames(t *testing.T) {
	pol, err := policy.ParsePolicy("p.json", []byte(`{"rules":[
		{"name":"deny-env","if":{"paths":{"roles":["read-path"],"within":"/","names":[".env",".env.*"]}},"then":"deny","reason":"secrets"},
		{"name":"escalate-reads","if":{"roles":["read-path"]},"then":"escalate"}]}`), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ann, _ := policy.ParseAnnotations("a.json", []byte(`{"servers":{"filesystem":{"tools":[{"toolName":"read_file","args":{"path":["read-path"]}},{"toolName":"read_multiple_files","args":{"paths":["read-path"]}}]}}}`))
	eng, err := policy.New(policy.Config{Policy: pol, Annotations: ann, Home: "/h", Sandbox: "/h/s", FS: resource.OSFS{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want policy.Verdict
	}{
		{"/srv/app/.env", policy.Deny}, {"/srv/app/.env.production", policy.Deny},
		{"/srv/app/env", policy.Escalate}, {"/srv/app/.envrc", policy.Escalate}, {"/h/s/.env", policy.Allow},
	} {
		if d := eng.Decide(call("filesystem", "read_file", map[string]any{"path": tc.path})); d.Verdict != tc.want {
			t.Errorf("read %s: %v by %s, want %v", tc.path, d.Verdict, d.Rule, tc.want)
		}
	}
	d := eng.Decide(call("filesystem", "read_multiple_files", map[string]any{"paths": []any{"/srv/a", "/srv/.env"}}))
	if d.Verdict != policy.Deny || d.Rule != "deny-env" {
		t.Errorf("many values: %v by %s, want deny by deny-env", d.Verdict, d.Rule)
	}
	if _, err := policy.ParsePolicy("p.json", []byte(`{"rules":[{"name":"x","if":{"paths":{"roles":["read-path"],"within":"/","names":["a/b"]}},"then":"deny"}]}`), "", nil); err == nil {
		t.Error("a names pattern with a slash was accepted")
	}
}

func TestSchemaDefaultsAreJudgedAndForwarded(t *testing.T) {
	pol, _ := policy.ParsePolicy("p.json", []byte(`{"rules":[{"name":"allow-clean","if":{"server":["git"],"tool":["git_clean"]},"then":"allow"}]}`), "", nil)
	ann, err := policy.ParseAnnotations("a.json", []byte(`{"servers":{"git":{"tools":[{"toolName":"git_clean",
		"args":{"path":["read-path","delete-path"],"force":["none"]},
		"inputSchema":{"type":"object","properties":{"path":{"type":"string","default":"."},"force":{"type":"boolean"}}}}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	eng, err := policy.New(policy.Config{Policy: pol, Annotations: ann, Home: home, Sandbox: home + "/sb", Protected: []string{home + "/ic"}, FS: resource.OSFS{}})
	if err != nil {
		t.Fatal(err)
	}
	// No path: the server would clean "." — judged (and forwarded) as the sandbox.
	d := eng.Decide(call("git", "git_clean", map[string]any{"force": true}))
	if d.Verdict != policy.Allow || d.Rule != policy.RuleSandboxAllow || d.Arguments["path"] != home+"/sb" {
		t.Fatalf("absent path: %v by %s, args %v; want sandbox allow with path %s/sb", d.Verdict, d.Rule, d.Arguments, home)
	}
	// An explicit path outside is judged by the rules.
	d = eng.Decide(call("git", "git_clean", map[string]any{"path": "/etc", "force": true}))
	if d.Rule != "allow-clean" {
		t.Fatalf("explicit path: %v by %s", d.Verdict, d.Rule)
	}
	// Deleting a parent of a protected path is deleting the protected path.
	d = eng.Decide(call("git", "git_clean", map[string]any{"path": home, "force": true}))
	if d.Verdict != policy.Deny || d.Rule != policy.RuleProtectedPath {
		t.Fatalf("clean the home: %v by %s, want protected-path deny", d.Verdict, d.Rule)
	}
}

func TestMovingAParentOfAProtectedPath(t *testing.T) {
	f := newFixture(t, nil, nil)
	d := f.eng.Decide(call("filesystem", "copy_file", map[string]any{"source": "~/Documents/a", "destination": "~"}))
	if d.Verdict != policy.Deny || d.Rule != policy.RuleProtectedPath {
		t.Fatalf("write to the home: %v by %s, want protected-path deny", d.Verdict, d.Rule)
	}
	// Reading a parent (listing the home) is not changing it.
	d = f.eng.Decide(call("filesystem", "read_file", map[string]any{"path": "~"}))
	if d.Rule == policy.RuleProtectedPath {
		t.Fatal("reading the home was refused as a protected path")
	}
}

func TestFetchURLSchemes(t *testing.T) {
	f := newFixture(t, map[string][]string{"fetch": {"*"}}, nil)
	for _, u := range []string{"file://example.com/etc/passwd", "ftp://example.com/x", "gopher://example.com/", "ws://example.com/"} {
		d := f.eng.Decide(call("fetch", "http_fetch", map[string]any{"url": u}))
		if d.Verdict != policy.Deny || d.Rule != policy.RuleInvalidArgument {
			t.Errorf("fetch %s: %v by %s, want invalid-argument deny", u, d.Verdict, d.Rule)
		}
	}
}
