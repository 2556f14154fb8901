package git

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefusals checks that hostile arguments and hostile repositories are
// refused with a message naming the problem, and that nothing they asked
// for happened (the marker file is never created).
func TestRefusals(t *testing.T) {
	f := newFixture(t, nil)
	outside := tempDir(t) // a second temp dir: not a root
	initRepo(t, filepath.Join(outside, "repo"))
	repo := filepath.Join(f.root, "repo")
	initRepo(t, repo)
	marker := filepath.Join(outside, "marker")
	inject := "--upload-pack=touch " + marker

	if err := os.Symlink(filepath.Join(outside, "repo"), filepath.Join(f.root, "link")); err != nil {
		t.Fatal(err)
	}
	gitfile := filepath.Join(f.root, "gitfile")
	writeFile(t, filepath.Join(gitfile, ".git"), "gitdir: "+filepath.Join(outside, "repo", ".git")+"\n")

	tests := []struct {
		name string
		tool string
		args map[string]any
		want string
	}{
		{"path outside roots", "git_status", map[string]any{"path": filepath.Join(outside, "repo")}, "outside the allowed roots"},
		{"dotdot out of root", "git_status", map[string]any{"path": f.root + "/../" + filepath.Base(outside) + "/repo"}, "outside the allowed roots"},
		{"symlink in root pointing outside", "git_log", map[string]any{"path": filepath.Join(f.root, "link")}, "outside the allowed roots"},
		{"symlinked working dir", "git_set_working_dir", map[string]any{"path": filepath.Join(f.root, "link")}, "outside the allowed roots"},
		{".git file pointing outside", "git_status", map[string]any{"path": gitfile}, "git directory"},
		{"home-relative path", "git_status", map[string]any{"path": "~/repo"}, "home-relative"},
		{"clone into outside", "git_clone", map[string]any{"url": filepath.Join(repo, ".git"), "localPath": filepath.Join(outside, "c")}, "outside the allowed roots"},
		{"clone from outside", "git_clone", map[string]any{"url": filepath.Join(outside, "repo"), "localPath": filepath.Join(f.root, "c")}, "outside the allowed roots"},
		{"clone from outside file url", "git_clone", map[string]any{"url": "file://" + filepath.Join(outside, "repo"), "localPath": filepath.Join(f.root, "c")}, "outside the allowed roots"},
		{"init outside", "git_init", map[string]any{"path": filepath.Join(outside, "new")}, "outside the allowed roots"},
		{"upload-pack as clone url", "git_clone", map[string]any{"url": inject, "localPath": filepath.Join(f.root, "c")}, "starts with '-'"},
		{"ext transport", "git_clone", map[string]any{"url": "ext::sh -c touch% " + marker, "localPath": filepath.Join(f.root, "c")}, "remote helper"},
		{"unknown scheme", "git_clone", map[string]any{"url": "ftp://example.com/r.git", "localPath": filepath.Join(f.root, "c")}, "not allowed"},
		{"ssh host option", "git_clone", map[string]any{"url": "ssh://-oProxyCommand=x/r", "localPath": filepath.Join(f.root, "c")}, "starts with '-'"},
		{"scp host option", "git_clone", map[string]any{"url": "-oProxyCommand=x:r", "localPath": filepath.Join(f.root, "c")}, "starts with '-'"},
		{"upload-pack as fetch remote", "git_fetch", map[string]any{"path": repo, "remote": "--upload-pack"}, "starts with '-'"},
		{"upload-pack as pull branch", "git_pull", map[string]any{"path": repo, "branch": inject}, "starts with '-'"},
		{"upload-pack as push branch", "git_push", map[string]any{"path": repo, "branch": "--receive-pack=touch"}, "starts with '-'"},
		{"forced refspec as branch", "git_push", map[string]any{"path": repo, "branch": "+main"}, "starts with '+'"},
		{"parent dir as remote", "git_fetch", map[string]any{"path": repo, "remote": ".."}, "not a remote name"},
		{"option as log branch", "git_log", map[string]any{"path": repo, "branch": "--output=" + marker}, "starts with '-'"},
		{"option as diff target", "git_diff", map[string]any{"path": repo, "target": "--output=" + marker}, "starts with '-'"},
		{"option as show object", "git_show", map[string]any{"path": repo, "object": "--output=" + marker}, "starts with '-'"},
		{"option as checkout target", "git_checkout", map[string]any{"path": repo, "target": "--orphan=x"}, "starts with '-'"},
		{"option as new branch", "git_branch", map[string]any{"path": repo, "operation": "create", "name": "-f"}, "starts with '-'"},
		{"option as tag", "git_tag", map[string]any{"path": repo, "mode": "create", "tagName": "-d"}, "starts with '-'"},
		{"option as merge branch", "git_merge", map[string]any{"path": repo, "branch": "--no-verify"}, "starts with '-'"},
		{"option as reset target", "git_reset", map[string]any{"path": repo, "target": "--hard"}, "starts with '-'"},
		{"remote add with option url", "git_remote", map[string]any{"path": repo, "mode": "add", "name": "x", "url": inject}, "starts with '-'"},
		{"stash ref expression", "git_stash", map[string]any{"path": repo, "mode": "drop", "stashRef": "HEAD"}, "stashRef"},
		{"author with brackets", "git_commit", map[string]any{"path": repo, "message": "m", "allowEmpty": true, "author": map[string]any{"name": "a> <b", "email": "a@b.example"}}, "'<' or '>'"},
		{"unknown argument", "git_status", map[string]any{"path": repo, "porcelain": true}, "porcelain"},
		{"bad enum", "git_reset", map[string]any{"path": repo, "mode": "nuke"}, "mode"},
		{"wrong type", "git_log", map[string]any{"path": repo, "maxCount": "10"}, "maxCount"},
		{"out of range", "git_log", map[string]any{"path": repo, "maxCount": 5000}, "maxCount"},
		{"NUL in path", "git_add", map[string]any{"path": repo, "files": []string{"a\x00b"}}, "NUL"},
		{"control char in ref", "git_log", map[string]any{"path": repo, "branch": "main\nx"}, "control character"},
		{"missing required", "git_commit", map[string]any{"path": repo}, "message"},
		{"signing", "git_commit", map[string]any{"path": repo, "message": "m", "sign": true}, "signing is not available"},
		{"annotated tag without message", "git_tag", map[string]any{"path": repo, "mode": "create", "tagName": "t", "annotated": true}, "needs message"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := f.fail(tc.tool, tc.args)
			if !strings.Contains(text, tc.want) {
				t.Errorf("%s(%v) error = %q, want it to contain %q", tc.tool, tc.args, text, tc.want)
			}
			if exists(marker) {
				t.Fatalf("%s(%v) created %s", tc.tool, tc.args, marker)
			}
		})
	}
	if exists(filepath.Join(f.root, "c")) {
		t.Errorf("a refused clone created %s", filepath.Join(f.root, "c"))
	}
}

func TestMalformedArguments(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name, args, want string
	}{
		{"duplicate key", `{"path":"/a","path":"/b"}`, "duplicate"},
		{"not an object", `[1,2]`, "want an object"},
		{"invalid UTF-8 escape is fine but NUL is not", `{"path":"\u0000"}`, "NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, isErr := f.rawCall("git_status", tc.args)
			if !isErr || !strings.Contains(text, tc.want) {
				t.Errorf("git_status(%s) = %q, %v; want an error containing %q", tc.args, text, isErr, tc.want)
			}
		})
	}
}

// TestHooksDoNotRun: a hook is code the agent can write into .git/hooks;
// committing must not run it, and the commit must still succeed.
func TestHooksDoNotRun(t *testing.T) {
	f := newFixture(t, nil)
	repo := filepath.Join(f.root, "r")
	initRepo(t, repo)
	marker := filepath.Join(f.root, "hook-ran")
	for _, h := range []string{"pre-commit", "commit-msg", "post-commit", "post-checkout", "pre-push", "reference-transaction"} {
		writeFile(t, filepath.Join(repo, ".git", "hooks", h), "#!/bin/sh\ntouch "+marker+"\n")
		if err := os.Chmod(filepath.Join(repo, ".git", "hooks", h), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Prove the hooks would run under plain git.
	gitCLI(t, repo, "commit", "-q", "--allow-empty", "-m", "plain git")
	if !exists(marker) {
		t.Fatal("plain git did not run the hook; the test proves nothing")
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	// A hooks path set in the repository's config is overridden too.
	gitCLI(t, repo, "config", "core.hooksPath", filepath.Join(repo, ".git", "hooks"))

	f.ok("git_commit", map[string]any{"path": repo, "message": "no hooks", "allowEmpty": true})
	f.ok("git_checkout", map[string]any{"path": repo, "target": "side", "createBranch": true})
	if exists(marker) {
		t.Fatalf("a hook ran: %s exists", marker)
	}
	if log := f.ok("git_log", map[string]any{"path": repo, "oneline": true}); !strings.Contains(log, "no hooks") {
		t.Fatalf("git_log = %q, want the commit made without hooks", log)
	}
}

// TestUserConfigIgnored: the user's ~/.gitconfig and XDG config must not
// reach git; here they define a filter that would create a marker, a hooks
// path, and an identity.
func TestUserConfigIgnored(t *testing.T) {
	requireGit(t)
	home := tempDir(t)
	marker := filepath.Join(home, "config-ran")
	hooks := filepath.Join(home, "hooks")
	writeFile(t, filepath.Join(hooks, "pre-commit"), "#!/bin/sh\ntouch "+marker+"\n")
	if err := os.Chmod(filepath.Join(hooks, "pre-commit"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := "[user]\n\tname = Global User\n\temail = global@example.com\n" +
		"[filter \"evil\"]\n\tclean = touch " + marker + "; cat\n" +
		"[core]\n\thooksPath = " + hooks + "\n" +
		"[alias]\n\tstatus = !touch " + marker + "\n"
	writeFile(t, filepath.Join(home, ".gitconfig"), cfg)
	writeFile(t, filepath.Join(home, ".config", "git", "config"), cfg)
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, ".gitconfig"))

	root := tempDir(t)
	repo := filepath.Join(root, "r")
	initRepo(t, repo)
	writeFile(t, filepath.Join(repo, ".gitattributes"), "* filter=evil\n")
	// Only the committer identity is configured, so an author can only come
	// from the ignored global config.
	f := connect(t, root, Config{Roots: []string{root}, Env: []string{
		"GIT_COMMITTER_NAME=C", "GIT_COMMITTER_EMAIL=c@example.com",
	}})
	f.ok("git_add", map[string]any{"path": repo, "files": []string{"."}})
	f.ok("git_status", map[string]any{"path": repo})
	text := f.fail("git_commit", map[string]any{"path": repo, "message": "m"})
	if !strings.Contains(text, "Author identity unknown") && !strings.Contains(text, "empty ident") {
		t.Errorf("git_commit error = %q, want an unknown author (global user.name ignored)", text)
	}
	if exists(marker) {
		t.Fatalf("user config was applied: %s exists", marker)
	}
}

// TestDangerousRepoConfig: repository config that would run a command is
// refused before git touches the work tree.
func TestDangerousRepoConfig(t *testing.T) {
	tests := []struct {
		name   string
		config []string // key value pairs for git config
		incl   string   // content for an included file
		want   string
	}{
		{"filter driver", []string{"filter.evil.clean", "touch MARKER"}, "", "filter.evil.clean"},
		{"smudge via include", nil, "[filter \"evil\"]\n\tsmudge = touch MARKER\n", "filter.evil.smudge"},
		{"textconv", []string{"diff.evil.textconv", "touch MARKER"}, "", "textconv"},
		{"external diff", []string{"diff.external", "touch MARKER"}, "", "diff.external"},
		{"merge driver", []string{"merge.evil.driver", "touch MARKER"}, "", "merge driver"},
		{"upload pack", []string{"remote.origin.uploadpack", "touch MARKER"}, "", "remote.origin.uploadpack"},
		{"git proxy", []string{"core.gitProxy", "touch MARKER"}, "", "core.gitproxy"},
		{"ssh command", []string{"core.sshCommand", "touch MARKER"}, "", "core.sshcommand"},
		{"gpg program", []string{"gpg.program", "touch MARKER"}, "", "gpg.program"},
		{"config hook", []string{"hook.evil.command", "touch MARKER"}, "", "hook"},
		{"protocol override", []string{"protocol.ext.allow", "always"}, "", "protocol.ext.allow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			repo := filepath.Join(f.root, "r")
			initRepo(t, repo)
			marker := filepath.Join(f.root, "marker")
			writeFile(t, filepath.Join(repo, ".gitattributes"), "* filter=evil diff=evil merge=evil\n")
			for i := 0; i < len(tc.config); i += 2 {
				gitCLI(t, repo, "config", tc.config[i], strings.ReplaceAll(tc.config[i+1], "MARKER", marker))
			}
			if tc.incl != "" {
				inc := filepath.Join(f.root, "included")
				writeFile(t, inc, strings.ReplaceAll(tc.incl, "MARKER", marker))
				gitCLI(t, repo, "config", "include.path", inc)
			}
			text := f.fail("git_status", map[string]any{"path": repo})
			if !strings.Contains(text, tc.want) || !strings.Contains(text, "refusing") {
				t.Errorf("git_status error = %q, want a refusal naming %q", text, tc.want)
			}
			if exists(marker) {
				t.Fatalf("config command ran: %s exists", marker)
			}
		})
	}
}

// TestOverriddenRepoConfig: config whose command the server switches off
// from the command line does not need a refusal, and does not run.
func TestOverriddenRepoConfig(t *testing.T) {
	f := newFixture(t, nil)
	repo := filepath.Join(f.root, "r")
	initRepo(t, repo)
	marker := filepath.Join(f.root, "marker")
	for _, kv := range [][2]string{
		{"core.fsmonitor", "touch " + marker},
		{"core.pager", "touch " + marker},
		{"core.editor", "touch " + marker},
		{"core.askPass", "touch " + marker},
		{"credential.helper", "!touch " + marker},
		{"commit.gpgSign", "true"},
		{"log.showSignature", "true"},
		{"color.ui", "always"},
	} {
		gitCLI(t, repo, "config", kv[0], kv[1])
	}
	writeFile(t, filepath.Join(repo, "README"), "changed\n")
	f.ok("git_status", map[string]any{"path": repo})
	f.ok("git_commit", map[string]any{"path": repo, "message": "m", "filesToStage": []string{"README"}})
	log := f.ok("git_log", map[string]any{"path": repo, "patch": true})
	if strings.Contains(log, "\x1b[") {
		t.Errorf("git_log output has color codes: %q", log)
	}
	if exists(marker) {
		t.Fatalf("a config command ran: %s exists", marker)
	}
}

func TestFileProtocolDisabled(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AllowFileProtocol = false })
	src := filepath.Join(f.root, "src")
	initRepo(t, src)
	text := f.fail("git_clone", map[string]any{"url": src, "localPath": filepath.Join(f.root, "c")})
	if !strings.Contains(text, "disabled") {
		t.Errorf("git_clone(local) error = %q, want file protocol disabled", text)
	}
	// A remote configured behind the server's back is stopped by git.
	dst := filepath.Join(f.root, "dst")
	initRepo(t, dst)
	gitCLI(t, dst, "remote", "add", "origin", src)
	text = f.fail("git_fetch", map[string]any{"path": dst, "remote": "origin"})
	if !strings.Contains(text, "transport 'file' not allowed") {
		t.Errorf("git_fetch(local remote) error = %q, want the file transport refused", text)
	}
}

func TestConfiguredRemoteOutsideRoots(t *testing.T) {
	f := newFixture(t, nil)
	outside := tempDir(t)
	initRepo(t, filepath.Join(outside, "src"))
	repo := filepath.Join(f.root, "r")
	initRepo(t, repo)
	// Written directly, as an agent with file access could.
	gitCLI(t, repo, "remote", "add", "origin", filepath.Join(outside, "src"))
	text := f.fail("git_fetch", map[string]any{"path": repo})
	if !strings.Contains(text, "outside the allowed roots") {
		t.Errorf("git_fetch error = %q, want the configured remote refused", text)
	}
}

// TestRepoAboveRootNotFound: a root inside someone else's repository must
// not let git discover and operate on that repository.
func TestRepoAboveRootNotFound(t *testing.T) {
	requireGit(t)
	outer := tempDir(t)
	initRepo(t, filepath.Join(outer, "repo"))
	root := filepath.Join(outer, "repo", "sandbox")
	writeFile(t, filepath.Join(root, "f"), "x")
	f := connect(t, root, Config{Roots: []string{root}, Env: identity})
	text := f.fail("git_status", map[string]any{"path": root})
	if !strings.Contains(text, "not in a git repository") {
		t.Errorf("git_status(%s) error = %q, want no repository found", root, text)
	}
	text = f.fail("git_commit", map[string]any{"path": root, "message": "m", "allowEmpty": true})
	if !strings.Contains(text, "not in a git repository") {
		t.Errorf("git_commit(%s) error = %q, want no repository found", root, text)
	}
}
