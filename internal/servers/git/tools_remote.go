package git

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tools that talk to other repositories: clone, fetch, pull, push, remote.

func remoteTools() []toolDef {
	return []toolDef{
		defineTool(&mcp.Tool{
			Name:        "git_clone",
			Description: "Clone a remote repository into a new directory.",
			Annotations: &mcp.ToolAnnotations{OpenWorldHint: ptr(true)},
			InputSchema: object([]prop{
				p("url", str("URL of the repository to clone (https://, http://, ssh:// or user@host:path).")),
				p("localPath", str("Directory to clone into; it must not exist or be empty.", minLen(1))),
				p("branch", str("Branch to check out instead of the remote's default.")),
				p("depth", integer("Fetch only this many recent commits.", 1, maxSafeInteger)),
				p("bare", boolean("Create a bare repository, without a working tree.", def(`false`))),
				p("mirror", boolean("Mirror every ref of the remote (implies bare).", def(`false`))),
			}, "url", "localPath"),
		}, gitClone),
		defineTool(&mcp.Tool{
			Name:        "git_fetch",
			Description: "Download commits and refs from a remote without changing local branches.",
			Annotations: &mcp.ToolAnnotations{OpenWorldHint: ptr(true)},
			InputSchema: object([]prop{
				pathArg(),
				p("remote", remoteArg("Remote to fetch from, by name or URL; default the current branch's remote, usually origin.")),
				p("prune", boolean("Delete remote-tracking refs whose remote branch is gone.", def(`false`))),
				p("tags", boolean("Fetch all tags.", def(`false`))),
				p("depth", integer("Limit history to this many commits from each branch tip.", 1, maxSafeInteger)),
			}),
		}, gitFetch),
		defineTool(&mcp.Tool{
			Name:        "git_pull",
			Description: "Fetch from a remote and integrate the changes into the current branch (merge, rebase or fast-forward only).",
			Annotations: &mcp.ToolAnnotations{OpenWorldHint: ptr(true)},
			InputSchema: object([]prop{
				pathArg(),
				p("remote", remoteArg("Remote to pull from, by name or URL; default the current branch's upstream (origin if a branch is given).")),
				p("branch", refNameArg("Remote branch to pull; default the current branch's upstream.")),
				p("rebase", boolean("Rebase local commits onto the fetched ones instead of merging.", def(`false`))),
				p("fastForwardOnly", boolean("Fail unless the branch can be fast-forwarded.", def(`false`))),
			}),
		}, gitPull),
		defineTool(&mcp.Tool{
			Name:        "git_push",
			Description: "Upload local commits (or tags) to a remote, or delete a remote branch.",
			Annotations: &mcp.ToolAnnotations{OpenWorldHint: ptr(true), DestructiveHint: ptr(true)},
			InputSchema: object([]prop{
				pathArg(),
				p("remote", remoteArg("Remote to push to, by name or URL; default origin when a branch is given, else the upstream.")),
				p("branch", refNameArg("Local branch to push; default the current branch's upstream configuration.")),
				p("force", boolean("Overwrite the remote branch even if that discards commits.", def(`false`))),
				p("forceWithLease", boolean("Overwrite only if the remote branch is where we last saw it.", def(`false`))),
				p("setUpstream", boolean("Make the pushed branch the local branch's upstream.", def(`false`))),
				p("tags", boolean("Push all tags as well.", def(`false`))),
				p("dryRun", boolean("Report what would be pushed without pushing.", def(`false`))),
				p("delete", boolean("Delete the remote branch (remoteBranch, else branch).", def(`false`))),
				p("remoteBranch", refNameArg("Name of the branch on the remote, if different from branch.")),
				p("confirmed", boolean("Required for a force push or deletion that targets a protected branch (main, master, production, prod, release).", def(`false`))),
			}),
		}, gitPush),
		defineTool(&mcp.Tool{
			Name:        "git_remote",
			Description: "List, add, remove or rename remotes, or read or change a remote's URL.",
			InputSchema: object([]prop{
				pathArg(),
				p("mode", str("The remote operation.", enum("list", "add", "remove", "rename", "get-url", "set-url"), def(`"list"`))),
				p("name", remoteNameArg("Remote name, for every mode but list.")),
				p("url", str("Remote URL, for add and set-url.")),
				p("newName", remoteNameArg("New name, for rename.")),
				p("push", boolean("get-url and set-url: the push URL rather than the fetch URL.", def(`false`))),
			}),
		}, gitRemote),
	}
}

type cloneIn struct {
	URL       string `json:"url"`
	LocalPath string `json:"localPath"`
	Branch    string `json:"branch"`
	Depth     *int   `json:"depth"`
	Bare      bool   `json:"bare"`
	Mirror    bool   `json:"mirror"`
}

func gitClone(ctx context.Context, s *server, c *call, in *cloneIn) (string, error) {
	if err := s.checkRemoteURL(in.URL); err != nil {
		return "", err
	}
	dir, err := s.resolvePath(in.LocalPath, s.workingDir(c))
	if err != nil {
		return "", fmt.Errorf("localPath: %w", err)
	}
	args := []string{"clone", "--no-recurse-submodules"}
	if in.Branch != "" {
		if err := checkRefName("branch", in.Branch); err != nil {
			return "", err
		}
		args = append(args, "--branch="+in.Branch)
	}
	if in.Depth != nil {
		args = append(args, "--depth="+strconv.Itoa(*in.Depth))
	}
	if in.Bare {
		args = append(args, "--bare")
	}
	if in.Mirror {
		args = append(args, "--mirror")
	}
	args = append(args, "--", in.URL, string(dir))
	// Run from the root: dir does not exist yet, and the new repository's
	// config is git's default, so it needs no openRepo check.
	return s.gitText(ctx, s.rootOf(dir), "Cloned into "+string(dir)+".", args...)
}

type fetchIn struct {
	Path   string `json:"path"`
	Remote string `json:"remote"`
	Prune  bool   `json:"prune"`
	Tags   bool   `json:"tags"`
	Depth  *int   `json:"depth"`
}

func gitFetch(ctx context.Context, s *server, c *call, in *fetchIn) (string, error) {
	args := []string{"fetch"}
	if in.Prune {
		args = append(args, "--prune")
	}
	if in.Tags {
		args = append(args, "--tags")
	}
	if in.Depth != nil {
		args = append(args, "--depth="+strconv.Itoa(*in.Depth))
	}
	args = append(args, "--")
	if in.Remote != "" {
		if err := s.checkRemote("remote", in.Remote); err != nil {
			return "", err
		}
		args = append(args, in.Remote)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	if err := s.checkConfiguredRemotes(ctx, r); err != nil {
		return "", err
	}
	return s.gitText(ctx, r.dir, "Fetched; nothing new.", args...)
}

type pullIn struct {
	Path            string `json:"path"`
	Remote          string `json:"remote"`
	Branch          string `json:"branch"`
	Rebase          bool   `json:"rebase"`
	FastForwardOnly bool   `json:"fastForwardOnly"`
}

func gitPull(ctx context.Context, s *server, c *call, in *pullIn) (string, error) {
	// --no-edit: a merge commit's message is never opened in an editor.
	// The rebase choice is always explicit, since newer git refuses to
	// guess for diverged branches.
	args := []string{"pull", "--no-edit", "--no-rebase"}
	if in.Rebase {
		args[2] = "--rebase=true"
	}
	if in.FastForwardOnly {
		args = append(args, "--ff-only")
	}
	remote := in.Remote
	if remote == "" && in.Branch != "" {
		remote = "origin"
	}
	args = append(args, "--")
	if remote != "" {
		if err := s.checkRemote("remote", remote); err != nil {
			return "", err
		}
		args = append(args, remote)
	}
	if in.Branch != "" {
		if err := checkRefName("branch", in.Branch); err != nil {
			return "", err
		}
		args = append(args, in.Branch)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	if err := s.checkConfiguredRemotes(ctx, r); err != nil {
		return "", err
	}
	return s.gitText(ctx, r.dir, "Pulled.", args...)
}

type pushIn struct {
	Path           string `json:"path"`
	Remote         string `json:"remote"`
	Branch         string `json:"branch"`
	Force          bool   `json:"force"`
	ForceWithLease bool   `json:"forceWithLease"`
	SetUpstream    bool   `json:"setUpstream"`
	Tags           bool   `json:"tags"`
	DryRun         bool   `json:"dryRun"`
	Delete         bool   `json:"delete"`
	RemoteBranch   string `json:"remoteBranch"`
	Confirmed      bool   `json:"confirmed"`
}

func gitPush(ctx context.Context, s *server, c *call, in *pushIn) (string, error) {
	for _, n := range []struct{ what, v string }{{"branch", in.Branch}, {"remoteBranch", in.RemoteBranch}} {
		if n.v != "" {
			if err := checkRefName(n.what, n.v); err != nil {
				return "", err
			}
		}
	}
	remote := in.Remote
	if remote == "" && (in.Branch != "" || in.RemoteBranch != "") {
		remote = "origin"
	}
	if remote != "" {
		if err := s.checkRemote("remote", remote); err != nil {
			return "", err
		}
	}
	// A refspec built from names that start with neither '-' nor '+' and
	// contain no ':' is exactly "src[:dst]", never a forced update.
	var refspec string
	switch {
	case in.Delete:
		refspec = in.RemoteBranch
		if refspec == "" {
			refspec = in.Branch
		}
		if refspec == "" {
			return "", errors.New("delete needs remoteBranch or branch")
		}
	case in.Branch != "" && in.RemoteBranch != "":
		refspec = in.Branch + ":" + in.RemoteBranch
	case in.Branch != "":
		refspec = in.Branch
	case in.RemoteBranch != "":
		refspec = "HEAD:" + in.RemoteBranch
	}
	args := []string{"push"}
	for _, f := range []struct {
		on  bool
		opt string
	}{
		{in.Force, "--force"}, {in.ForceWithLease, "--force-with-lease"}, {in.SetUpstream, "--set-upstream"},
		{in.Tags, "--tags"}, {in.DryRun, "--dry-run"}, {in.Delete, "--delete"},
	} {
		if f.on {
			args = append(args, f.opt)
		}
	}
	args = append(args, "--")
	if remote != "" {
		args = append(args, remote)
	}
	if refspec != "" {
		args = append(args, refspec)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	if (in.Force || in.ForceWithLease || in.Delete) && !in.Confirmed {
		target := in.RemoteBranch
		if target == "" {
			target = in.Branch
		}
		if target == "" {
			if target, err = s.currentBranch(ctx, r); err != nil {
				return "", err
			}
		}
		if protectedBranches[target] {
			return "", fmt.Errorf("force push or delete of protected branch %q needs confirmed: true", target)
		}
	}
	if err := s.checkConfiguredRemotes(ctx, r); err != nil {
		return "", err
	}
	return s.gitText(ctx, r.dir, "Pushed.", args...)
}

// checkConfiguredRemotes re-checks every remote URL of the repository
// (after url.*.insteadOf rewriting) when local remotes are enabled: the
// agent can write .git/config, so a remote added as inside the roots may
// since point outside them. Without AllowFileProtocol git itself refuses
// local transports, and network URLs are the policy's business.
func (s *server) checkConfiguredRemotes(ctx context.Context, r repo) error {
	if !s.fileOK {
		return nil
	}
	res, err := s.runLimit(ctx, r.dir, internalLimit, "remote", "-v")
	if err != nil {
		return err
	}
	if res.truncated {
		return errors.New("remote list is too long to check")
	}
	for _, line := range strings.Split(res.stdout, "\n") {
		_, rest, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		if i := strings.LastIndex(rest, " ("); i >= 0 {
			rest = rest[:i]
		}
		if err := s.checkRemoteURL(rest); err != nil {
			return fmt.Errorf("configured remote: %w", err)
		}
	}
	return nil
}

type remoteIn struct {
	Path    string `json:"path"`
	Mode    string `json:"mode"`
	Name    string `json:"name"`
	URL     string `json:"url"`
	NewName string `json:"newName"`
	Push    bool   `json:"push"`
}

func gitRemote(ctx context.Context, s *server, c *call, in *remoteIn) (string, error) {
	var args []string
	fallback := "Done."
	if in.Mode != "" && in.Mode != "list" {
		if err := checkRemoteName("name", in.Name); err != nil {
			return "", err
		}
	}
	pushFlag := func(a []string) []string {
		if in.Push {
			return append(a, "--push")
		}
		return a
	}
	switch in.Mode {
	case "", "list":
		args, fallback = []string{"remote", "--verbose"}, "No remotes."
	case "add":
		if err := s.checkRemoteURL(in.URL); err != nil {
			return "", err
		}
		args, fallback = []string{"remote", "add", "--", in.Name, in.URL}, "Added remote "+in.Name+"."
	case "remove":
		args, fallback = []string{"remote", "remove", "--", in.Name}, "Removed remote "+in.Name+"."
	case "rename":
		if err := checkRemoteName("newName", in.NewName); err != nil {
			return "", err
		}
		args, fallback = []string{"remote", "rename", "--", in.Name, in.NewName}, "Renamed remote to "+in.NewName+"."
	case "get-url":
		args = append(pushFlag([]string{"remote", "get-url"}), "--", in.Name)
	case "set-url":
		if err := s.checkRemoteURL(in.URL); err != nil {
			return "", err
		}
		args = append(pushFlag([]string{"remote", "set-url"}), "--", in.Name, in.URL)
		fallback = "Set URL of " + in.Name + "."
	default:
		return "", fmt.Errorf("unknown remote mode %q", in.Mode)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	return s.gitText(ctx, r.dir, fallback, args...)
}
