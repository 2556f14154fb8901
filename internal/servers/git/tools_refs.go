package git

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tools that create, move or switch refs: branch, checkout, tag, merge,
// and init, which creates a repository.

func refTools() []toolDef {
	return []toolDef{
		defineTool(&mcp.Tool{
			Name:        "git_branch",
			Description: "List, create, delete or rename branches, or print the current one.",
			InputSchema: object([]prop{
				pathArg(),
				p("operation", str("The branch operation.", enum("list", "create", "delete", "rename", "show-current"), def(`"list"`))),
				p("name", refNameArg("Branch to create, delete or rename.")),
				p("newName", refNameArg("New name, for rename.")),
				p("startPoint", revArg("Commit or branch the new branch starts at; default HEAD.")),
				p("force", boolean("create: reset an existing branch; delete: delete even if unmerged; rename: overwrite an existing branch.", def(`false`))),
				p("all", boolean("list: include remote-tracking branches.", def(`false`))),
				p("remote", boolean("list: only remote-tracking branches.", def(`false`))),
				p("merged", mergedArg("list: only branches merged into HEAD (true) or into the given commit.")),
				p("noMerged", mergedArg("list: only branches not merged into HEAD (true) or into the given commit.")),
			}),
		}, gitBranch),
		defineTool(&mcp.Tool{
			Name:        "git_checkout",
			Description: "Switch to a branch, tag or commit, create and switch to a new branch, or restore paths from a commit.",
			InputSchema: object([]prop{
				pathArg(),
				p("target", revArg("Branch, tag or commit to switch to; with createBranch, the new branch's name; with paths, the commit to restore from.")),
				p("createBranch", boolean("Create target as a new branch at HEAD and switch to it.", def(`false`))),
				p("force", boolean("Discard local changes that would block the switch.", def(`false`))),
				p("paths", pathsArg("Restore only these paths from target; the current branch stays.")),
				p("track", boolean("createBranch: set (true) or do not set (false) the new branch's upstream to the branch it starts from.")),
			}, "target"),
		}, gitCheckout),
		defineTool(&mcp.Tool{
			Name:        "git_tag",
			Description: "List, create or delete tags.",
			InputSchema: object([]prop{
				pathArg(),
				p("mode", str("The tag operation.", enum("list", "create", "delete"), def(`"list"`))),
				p("tagName", refNameArg("Tag to create or delete.")),
				p("commit", revArg("Commit to tag; default HEAD.")),
				p("message", str("Tag message; makes an annotated tag.")),
				p("annotated", boolean("Create an annotated tag (needs message).", def(`false`))),
				p("sign", boolean("Sign the tag. Not available in this server; see forceUnsignedOnFailure.")),
				p("forceUnsignedOnFailure", boolean("If signing is requested but not possible, create the tag unsigned instead of failing.", def(`false`))),
				p("force", boolean("Replace an existing tag of the same name.", def(`false`))),
			}),
		}, gitTag),
		defineTool(&mcp.Tool{
			Name:        "git_merge",
			Description: "Merge a branch into the current branch, or abort a merge in progress.",
			InputSchema: object([]prop{
				pathArg(),
				p("branch", refNameArg("Branch to merge into the current branch.")),
				p("strategy", str("Merge strategy.", enum("ort", "recursive", "octopus", "ours", "subtree"))),
				p("noFastForward", boolean("Always create a merge commit.", def(`false`))),
				p("squash", boolean("Stage the combined changes without committing or recording a merge.", def(`false`))),
				p("message", str("Message for the merge commit.", minLen(1), maxLen(10000))),
				p("abort", boolean("Abort the merge in progress (branch is then ignored).", def(`false`))),
			}, "branch"),
		}, gitMerge),
		defineTool(&mcp.Tool{
			Name:        "git_init",
			Description: "Create a new, empty repository (or reinitialize an existing one) at path.",
			InputSchema: object([]prop{
				pathArg(),
				p("initialBranch", str("Name of the first branch; default main.")),
				p("bare", boolean("Create a bare repository, without a working tree.", def(`false`))),
			}),
		}, gitInit),
	}
}

type branchIn struct {
	Path       string          `json:"path"`
	Operation  string          `json:"operation"`
	Name       string          `json:"name"`
	NewName    string          `json:"newName"`
	StartPoint string          `json:"startPoint"`
	Force      bool            `json:"force"`
	All        bool            `json:"all"`
	Remote     bool            `json:"remote"`
	Merged     json.RawMessage `json:"merged"`
	NoMerged   json.RawMessage `json:"noMerged"`
}

func gitBranch(ctx context.Context, s *server, c *call, in *branchIn) (string, error) {
	var args []string
	fallback := "Done."
	switch in.Operation {
	case "", "list":
		args, fallback = []string{"branch", "--list", "-v"}, "No branches."
		if in.All {
			args = append(args, "--all")
		}
		if in.Remote {
			args = append(args, "--remotes")
		}
		for _, m := range []struct {
			opt string
			raw json.RawMessage
		}{{"--merged", in.Merged}, {"--no-merged", in.NoMerged}} {
			a, err := mergedOption(m.opt, m.raw)
			if err != nil {
				return "", err
			}
			args = append(args, a...)
		}
	case "create":
		if err := checkRefName("name", in.Name); err != nil {
			return "", err
		}
		args = []string{"branch"}
		if in.Force {
			args = append(args, "--force")
		}
		args = append(args, "--", in.Name)
		if in.StartPoint != "" {
			if err := checkRev("startPoint", in.StartPoint); err != nil {
				return "", err
			}
			args = append(args, in.StartPoint)
		}
		fallback = "Created branch " + in.Name + "."
	case "delete":
		if err := checkRefName("name", in.Name); err != nil {
			return "", err
		}
		flag := "-d"
		if in.Force {
			flag = "-D"
		}
		args = []string{"branch", flag, "--", in.Name}
	case "rename":
		if err := checkRefName("newName", in.NewName); err != nil {
			return "", err
		}
		flag := "-m"
		if in.Force {
			flag = "-M"
		}
		args = []string{"branch", flag, "--"}
		if in.Name != "" {
			if err := checkRefName("name", in.Name); err != nil {
				return "", err
			}
			args = append(args, in.Name)
		}
		args = append(args, in.NewName)
		fallback = "Renamed to " + in.NewName + "."
	case "show-current":
		args, fallback = []string{"branch", "--show-current"}, "(detached HEAD)"
	default:
		return "", fmt.Errorf("unknown branch operation %q", in.Operation)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	return s.gitText(ctx, r.dir, fallback, args...)
}

// mergedOption turns merged/noMerged (absent, a boolean, or a commit) into
// git's "--merged" or "--merged=<commit>".
func mergedOption(opt string, raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		if b {
			return []string{opt}, nil
		}
		return nil, nil
	}
	var rev string
	if err := json.Unmarshal(raw, &rev); err != nil {
		return nil, fmt.Errorf("%s: want a boolean or a commit", opt)
	}
	if err := checkRev(opt[2:], rev); err != nil {
		return nil, err
	}
	return []string{opt + "=" + rev}, nil
}

type checkoutIn struct {
	Path         string   `json:"path"`
	Target       string   `json:"target"`
	CreateBranch bool     `json:"createBranch"`
	Force        bool     `json:"force"`
	Paths        []string `json:"paths"`
	Track        *bool    `json:"track"`
}

func gitCheckout(ctx context.Context, s *server, c *call, in *checkoutIn) (string, error) {
	args := []string{"checkout"}
	if in.Force {
		args = append(args, "--force")
	}
	switch {
	case in.CreateBranch:
		if len(in.Paths) > 0 {
			return "", errors.New("createBranch cannot be combined with paths")
		}
		if err := checkRefName("target", in.Target); err != nil {
			return "", err
		}
		if in.Track != nil {
			if *in.Track {
				args = append(args, "--track")
			} else {
				args = append(args, "--no-track")
			}
		}
		// "-b" takes the next argument as its value, whatever it starts
		// with; checkRefName has already refused a leading '-'.
		args = append(args, "-b", in.Target, "--")
	default:
		if err := checkRev("target", in.Target); err != nil {
			return "", err
		}
		if err := checkPathspecs("paths", in.Paths); err != nil {
			return "", err
		}
		args = append(append(args, in.Target, "--"), in.Paths...)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	return s.gitText(ctx, r.dir, "Checked out "+in.Target+".", args...)
}

type tagIn struct {
	Path                   string `json:"path"`
	Mode                   string `json:"mode"`
	TagName                string `json:"tagName"`
	Commit                 string `json:"commit"`
	Message                string `json:"message"`
	Annotated              bool   `json:"annotated"`
	Sign                   *bool  `json:"sign"`
	ForceUnsignedOnFailure bool   `json:"forceUnsignedOnFailure"`
	Force                  bool   `json:"force"`
}

func gitTag(ctx context.Context, s *server, c *call, in *tagIn) (string, error) {
	var args []string
	note := ""
	fallback := "Done."
	switch in.Mode {
	case "", "list":
		args, fallback = []string{"tag", "--list", "-n1"}, "No tags."
	case "create":
		if err := checkRefName("tagName", in.TagName); err != nil {
			return "", err
		}
		n, err := signNote(in.Sign, in.ForceUnsignedOnFailure)
		if err != nil {
			return "", err
		}
		note = n
		args = []string{"tag"}
		if in.Force {
			args = append(args, "--force")
		}
		switch {
		case in.Message != "":
			args = append(args, "--annotate", "--message="+in.Message)
		case in.Annotated:
			// Without a message git would start an editor.
			return "", errors.New("an annotated tag needs message")
		}
		args = append(args, "--", in.TagName)
		if in.Commit != "" {
			if err := checkRev("commit", in.Commit); err != nil {
				return "", err
			}
			args = append(args, in.Commit)
		}
		fallback = "Created tag " + in.TagName + "."
	case "delete":
		if err := checkRefName("tagName", in.TagName); err != nil {
			return "", err
		}
		args = []string{"tag", "--delete", "--", in.TagName}
	default:
		return "", fmt.Errorf("unknown tag mode %q", in.Mode)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	out, err := s.gitText(ctx, r.dir, fallback, args...)
	return out + note, err
}

type mergeIn struct {
	Path          string `json:"path"`
	Branch        string `json:"branch"`
	Strategy      string `json:"strategy"`
	NoFastForward bool   `json:"noFastForward"`
	Squash        bool   `json:"squash"`
	Message       string `json:"message"`
	Abort         bool   `json:"abort"`
}

func gitMerge(ctx context.Context, s *server, c *call, in *mergeIn) (string, error) {
	args := []string{"merge", "--abort"}
	if !in.Abort {
		if err := checkRev("branch", in.Branch); err != nil {
			return "", err
		}
		// --no-edit: the merge message is never opened in an editor.
		args = []string{"merge", "--no-edit"}
		if in.Strategy != "" {
			args = append(args, "--strategy="+in.Strategy)
		}
		if in.NoFastForward {
			args = append(args, "--no-ff")
		}
		if in.Squash {
			args = append(args, "--squash")
		}
		if in.Message != "" {
			args = append(args, "--message="+in.Message)
		}
		args = append(args, "--", in.Branch)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	return s.gitText(ctx, r.dir, "Done.", args...)
}

type initIn struct {
	Path          string `json:"path"`
	InitialBranch string `json:"initialBranch"`
	Bare          bool   `json:"bare"`
}

func gitInit(ctx context.Context, s *server, c *call, in *initIn) (string, error) {
	branch := in.InitialBranch
	if branch == "" {
		branch = "main"
	}
	if err := checkRefName("initialBranch", branch); err != nil {
		return "", err
	}
	dir, err := s.resolvePath(in.Path, s.workingDir(c))
	if err != nil {
		return "", err
	}
	args := []string{"init", "--initial-branch=" + branch}
	if in.Bare {
		args = append(args, "--bare")
	}
	// Run from the root: dir itself may not exist yet.
	return s.gitText(ctx, s.rootOf(dir), "Initialized "+string(dir)+".", append(args, "--", string(dir))...)
}
