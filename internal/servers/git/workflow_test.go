package git

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// step is one tool call in a scenario that builds on the previous ones.
type step struct {
	name   string
	before func() // changes files before the call
	tool   string
	args   map[string]any
	want   []string // substrings of the result text
	errMsg string   // non-empty: the call must fail with this substring
	after  func(t *testing.T)
}

func runSteps(t *testing.T, f *fixture, steps []step) {
	t.Helper()
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		text, isErr := f.call(st.tool, st.args)
		switch {
		case st.errMsg != "" && !isErr:
			t.Fatalf("%s: %s(%v) = %q, want error containing %q", st.name, st.tool, st.args, text, st.errMsg)
		case st.errMsg != "" && !strings.Contains(text, st.errMsg):
			t.Fatalf("%s: %s(%v) error = %q, want it to contain %q", st.name, st.tool, st.args, text, st.errMsg)
		case st.errMsg == "" && isErr:
			t.Fatalf("%s: %s(%v) failed: %s", st.name, st.tool, st.args, text)
		}
		for _, w := range st.want {
			if !strings.Contains(text, w) {
				t.Fatalf("%s: %s(%v) = %q, want it to contain %q", st.name, st.tool, st.args, text, w)
			}
		}
		if st.after != nil {
			st.after(t)
		}
	}
}

func TestLocalWorkflow(t *testing.T) {
	f := newFixture(t, nil)
	repo := filepath.Join(f.root, "work")
	file := filepath.Join(repo, "a.txt")
	runSteps(t, f, []step{
		{name: "init", tool: "git_init", args: map[string]any{"path": repo}, want: []string{"Initialized empty Git repository"}},
		{name: "status of new file", before: func() { writeFile(t, file, "one\n") },
			tool: "git_status", args: map[string]any{"path": repo}, want: []string{"On branch main", "a.txt"}},
		{name: "add", tool: "git_add", args: map[string]any{"path": repo, "files": []string{"a.txt"}}},
		{name: "staged diff", tool: "git_diff", args: map[string]any{"path": repo, "staged": true}, want: []string{"+one"}},
		{name: "commit", tool: "git_commit", args: map[string]any{"path": repo, "message": "first"}, want: []string{"first"}},
		{name: "nothing to commit", tool: "git_commit", args: map[string]any{"path": repo, "message": "again"}, errMsg: "nothing to commit"},
		{name: "unstaged diff", before: func() { writeFile(t, file, "one\ntwo\n") },
			tool: "git_diff", args: map[string]any{"path": repo}, want: []string{"+two"}},
		{name: "diff name only with untracked", before: func() { writeFile(t, filepath.Join(repo, "new.txt"), "n\n") },
			tool: "git_diff", args: map[string]any{"path": repo, "nameOnly": true, "includeUntracked": true}, want: []string{"a.txt", "Untracked files", "new.txt"}},
		{name: "commit with filesToStage and author", tool: "git_commit", args: map[string]any{
			"path": repo, "message": "second", "filesToStage": []string{"a.txt", "new.txt"},
			"author": map[string]any{"name": "Other Person", "email": "other@example.org"}}},
		{name: "log", tool: "git_log", args: map[string]any{"path": repo, "maxCount": 5}, want: []string{"second", "first", "Other Person"}},
		{name: "log oneline file filter", tool: "git_log", args: map[string]any{"path": repo, "oneline": true, "filePath": "new.txt"}, want: []string{"second"}},
		{name: "log grep with leading dash is data", tool: "git_log", args: map[string]any{"path": repo, "grep": "-nomatch"}, want: []string{"No commits."}},
		{name: "diff between commits", tool: "git_diff", args: map[string]any{"path": repo, "source": "HEAD~1", "target": "HEAD", "stat": true}, want: []string{"new.txt"}},
		{name: "show", tool: "git_show", args: map[string]any{"path": repo, "object": "HEAD"}, want: []string{"second", "+two"}},
		{name: "show file at commit", tool: "git_show", args: map[string]any{"path": repo, "object": "HEAD~1", "filePath": "a.txt"}, want: []string{"one"}},
		{name: "show json", tool: "git_show", args: map[string]any{"path": repo, "object": "HEAD", "format": "json", "stat": true},
			want: []string{`"message": "second"`, `"email": "other@example.org"`, "new.txt"}},
		{name: "branch create", tool: "git_branch", args: map[string]any{"path": repo, "operation": "create", "name": "feature"}},
		{name: "branch list", tool: "git_branch", args: map[string]any{"path": repo}, want: []string{"feature", "* main"}},
		{name: "checkout", tool: "git_checkout", args: map[string]any{"path": repo, "target": "feature"}, want: []string{"feature"}},
		{name: "show-current", tool: "git_branch", args: map[string]any{"path": repo, "operation": "show-current"}, want: []string{"feature"}},
		{name: "commit on feature", before: func() { writeFile(t, filepath.Join(repo, "b.txt"), "b\n") },
			tool: "git_commit", args: map[string]any{"path": repo, "message": "feature work", "filesToStage": []string{"b.txt"}}},
		{name: "back to main", tool: "git_checkout", args: map[string]any{"path": repo, "target": "main"}},
		{name: "merged false", tool: "git_branch", args: map[string]any{"path": repo, "noMerged": true}, want: []string{"feature"}},
		{name: "merge", tool: "git_merge", args: map[string]any{"path": repo, "branch": "feature", "noFastForward": true, "message": "merge feature"}, want: []string{"b.txt"}},
		{name: "merged into HEAD", tool: "git_branch", args: map[string]any{"path": repo, "merged": "HEAD"}, want: []string{"feature"}},
		{name: "branch delete", tool: "git_branch", args: map[string]any{"path": repo, "operation": "delete", "name": "feature"}, want: []string{"Deleted branch feature"}},
		{name: "checkout new branch", tool: "git_checkout", args: map[string]any{"path": repo, "target": "topic", "createBranch": true}, want: []string{"topic"}},
		{name: "rename branch", tool: "git_branch", args: map[string]any{"path": repo, "operation": "rename", "name": "topic", "newName": "topic2"}},
		{name: "back to main again", tool: "git_checkout", args: map[string]any{"path": repo, "target": "main"}},
		{name: "tag create", tool: "git_tag", args: map[string]any{"path": repo, "mode": "create", "tagName": "v1.0", "message": "release one"}},
		{name: "tag lightweight", tool: "git_tag", args: map[string]any{"path": repo, "mode": "create", "tagName": "light", "commit": "HEAD~1"}},
		{name: "tag list", tool: "git_tag", args: map[string]any{"path": repo}, want: []string{"v1.0", "release one", "light"}},
		{name: "tag delete", tool: "git_tag", args: map[string]any{"path": repo, "mode": "delete", "tagName": "light"}, want: []string{"Deleted tag 'light'"}},
		{name: "tag sign refused", tool: "git_tag", args: map[string]any{"path": repo, "mode": "create", "tagName": "s", "sign": true}, errMsg: "signing is not available"},
		{name: "stash push", before: func() { writeFile(t, file, "stashed\n") },
			tool: "git_stash", args: map[string]any{"path": repo, "mode": "push", "message": "wip"}},
		{name: "stash list", tool: "git_stash", args: map[string]any{"path": repo}, want: []string{"wip"}},
		{name: "stash pop", tool: "git_stash", args: map[string]any{"path": repo, "mode": "pop", "stashRef": "stash@{0}"},
			after: func(t *testing.T) { assertFile(t, file, "stashed\n") }},
		{name: "hard reset on main needs confirmation", tool: "git_reset", args: map[string]any{"path": repo, "mode": "hard"}, errMsg: "needs confirmed"},
		{name: "hard reset confirmed", tool: "git_reset", args: map[string]any{"path": repo, "mode": "hard", "confirmed": true},
			want: []string{"HEAD is now at"}, after: func(t *testing.T) { assertFile(t, file, "one\ntwo\n") }},
		{name: "soft reset", tool: "git_reset", args: map[string]any{"path": repo, "mode": "soft", "target": "HEAD~1"}},
		{name: "staged after soft reset", tool: "git_status", args: map[string]any{"path": repo}, want: []string{"Changes to be committed", "b.txt"}},
		{name: "unstage path", tool: "git_reset", args: map[string]any{"path": repo, "paths": []string{"b.txt"}}},
		{name: "restore path from commit", before: func() { writeFile(t, file, "changed\n") },
			tool: "git_checkout", args: map[string]any{"path": repo, "target": "HEAD", "paths": []string{"a.txt"}},
			after: func(t *testing.T) { assertFile(t, file, "one\ntwo\n") }},
	})
}

func TestRemoteWorkflow(t *testing.T) {
	f := newFixture(t, nil)
	bare := filepath.Join(f.root, "origin.git")
	src := filepath.Join(f.root, "src")
	clone := filepath.Join(f.root, "clone")
	gitCLI(t, f.root, "init", "-q", "--bare", "--initial-branch=main", bare)
	initRepo(t, src)
	runSteps(t, f, []step{
		{name: "remote add", tool: "git_remote", args: map[string]any{"path": src, "mode": "add", "name": "origin", "url": bare}},
		{name: "remote list", tool: "git_remote", args: map[string]any{"path": src}, want: []string{"origin\t" + bare + " (fetch)"}},
		{name: "remote get-url", tool: "git_remote", args: map[string]any{"path": src, "mode": "get-url", "name": "origin"}, want: []string{bare}},
		{name: "push", tool: "git_push", args: map[string]any{"path": src, "branch": "main", "setUpstream": true}, want: []string{"main -> main"}},
		{name: "clone", tool: "git_clone", args: map[string]any{"url": bare, "localPath": clone}, want: []string{"Cloning into"},
			after: func(t *testing.T) { assertFile(t, filepath.Join(clone, "README"), "hello\n") }},
		{name: "commit in clone", before: func() { writeFile(t, filepath.Join(clone, "c.txt"), "c\n") },
			tool: "git_commit", args: map[string]any{"path": clone, "message": "from clone", "filesToStage": []string{"c.txt"}}},
		{name: "push from clone", tool: "git_push", args: map[string]any{"path": clone}, want: []string{"main -> main"}},
		{name: "fetch", tool: "git_fetch", args: map[string]any{"path": src, "remote": "origin"}, want: []string{"origin/main"}},
		{name: "log of fetched branch", tool: "git_log", args: map[string]any{"path": src, "branch": "origin/main", "oneline": true}, want: []string{"from clone"}},
		{name: "pull", tool: "git_pull", args: map[string]any{"path": src, "fastForwardOnly": true}, want: []string{"c.txt"},
			after: func(t *testing.T) { assertFile(t, filepath.Join(src, "c.txt"), "c\n") }},
		{name: "pull named branch", tool: "git_pull", args: map[string]any{"path": src, "remote": "origin", "branch": "main"}, want: []string{"Already up to date"}},
		{name: "force push to main needs confirmation", tool: "git_push", args: map[string]any{"path": src, "branch": "main", "force": true}, errMsg: "needs confirmed"},
		{name: "fetch by URL", tool: "git_fetch", args: map[string]any{"path": src, "remote": bare}, want: []string{"FETCH_HEAD"}},
		{name: "push by URL", tool: "git_push", args: map[string]any{"path": src, "remote": bare, "branch": "main", "remoteBranch": "by-url"}, want: []string{"main -> by-url"}},
		{name: "push new branch under another name", tool: "git_push", args: map[string]any{"path": src, "branch": "main", "remoteBranch": "copy"}, want: []string{"main -> copy"}},
		{name: "delete remote branch", tool: "git_push", args: map[string]any{"path": src, "remoteBranch": "copy", "delete": true}, want: []string{"deleted"}},
		{name: "remote rename", tool: "git_remote", args: map[string]any{"path": src, "mode": "rename", "name": "origin", "newName": "upstream"}},
		{name: "remote remove", tool: "git_remote", args: map[string]any{"path": src, "mode": "remove", "name": "upstream"}},
		{name: "no remotes", tool: "git_remote", args: map[string]any{"path": src}, want: []string{"No remotes."}},
	})
}

func TestWorkingDir(t *testing.T) {
	f := newFixture(t, nil)
	repo := filepath.Join(f.root, "r")
	plain := filepath.Join(f.root, "plain")
	writeFile(t, filepath.Join(plain, "x"), "x")
	initRepo(t, repo)
	runSteps(t, f, []step{
		{name: "no working dir yet", tool: "git_status", args: map[string]any{}, errMsg: "no working directory set"},
		{name: "relative path without working dir", tool: "git_status", args: map[string]any{"path": "r"}, errMsg: "relative"},
		{name: "relative set refused", tool: "git_set_working_dir", args: map[string]any{"path": "r"}, errMsg: "not absolute"},
		{name: "not a repo", tool: "git_set_working_dir", args: map[string]any{"path": plain}, errMsg: "not in a git repository"},
		{name: "set without validation", tool: "git_set_working_dir", args: map[string]any{"path": plain, "validateGitRepo": false}},
		{name: "set with init", tool: "git_set_working_dir", args: map[string]any{"path": filepath.Join(f.root, "fresh"), "initializeIfNotPresent": true},
			want: []string{"Initialized empty Git repository", "Working directory set"}},
		{name: "set", tool: "git_set_working_dir", args: map[string]any{"path": repo, "includeMetadata": true},
			want: []string{"Working directory set to " + repo, "Recent commits", "initial"}},
		{name: "status uses it", tool: "git_status", args: map[string]any{}, want: []string{"On branch main"}},
		{name: "dot uses it", tool: "git_log", args: map[string]any{"path": ".", "oneline": true}, want: []string{"initial"}},
		{name: "relative to it", tool: "git_status", args: map[string]any{"path": "../r"}, want: []string{"On branch main"}},
		{name: "clear needs confirm", tool: "git_clear_working_dir", args: map[string]any{"confirm": "no"}, errMsg: "confirm"},
		{name: "clear", tool: "git_clear_working_dir", args: map[string]any{"confirm": "yes"}, want: []string{"Cleared working directory " + repo}},
		{name: "cleared", tool: "git_status", args: map[string]any{}, errMsg: "no working directory set"},
	})
}

// TestSessionsAreSeparate checks that one client's working directory is
// not another's.
func TestSessionsAreSeparate(t *testing.T) {
	requireGit(t)
	root := tempDir(t)
	repo := filepath.Join(root, "r")
	initRepo(t, repo)
	cfg := Config{Roots: []string{root}, Env: identity}
	a, b := connect(t, root, cfg), connect(t, root, cfg)
	a.ok("git_set_working_dir", map[string]any{"path": repo})
	a.ok("git_status", map[string]any{})
	if text := b.fail("git_status", map[string]any{}); !strings.Contains(text, "no working directory") {
		t.Fatalf("git_status in second session = %q, want no working directory", text)
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := readFile(path)
	if err != nil || got != want {
		t.Fatalf("content of %s = %q (%v), want %q", path, got, err, want)
	}
}

func TestShowJSONShape(t *testing.T) {
	f := newFixture(t, nil)
	repo := filepath.Join(f.root, "r")
	initRepo(t, repo)
	text := f.ok("git_show", map[string]any{"path": repo, "object": "HEAD", "format": "json"})
	var c commitJSON
	if err := json.Unmarshal([]byte(text), &c); err != nil {
		t.Fatalf("git_show json = %q: %v", text, err)
	}
	if len(c.Hash) != 40 || c.Message != "initial" || len(c.Parents) != 0 || c.Author.Name != "Test Author" || !strings.Contains(c.Diff, "+hello") {
		t.Fatalf("git_show json = %+v, want the initial commit", c)
	}
}

// TestConcurrentCalls lets the race detector see calls from several
// goroutines on one session.
func TestConcurrentCalls(t *testing.T) {
	f := newFixture(t, nil)
	repo := filepath.Join(f.root, "r")
	initRepo(t, repo)
	f.ok("git_set_working_dir", map[string]any{"path": repo})
	errs := make(chan string, 8)
	for i := 0; i < cap(errs); i++ {
		go func() {
			res, err := f.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "git_status", Arguments: map[string]any{}})
			switch {
			case err != nil:
				errs <- err.Error()
			case res.IsError:
				errs <- "tool error"
			default:
				errs <- ""
			}
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if e := <-errs; e != "" {
			t.Errorf("concurrent git_status failed: %s", e)
		}
	}
}
