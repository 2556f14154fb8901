package git

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tools that change the index, the work tree or the current branch's
// history: add, commit, reset, stash.

func commitTools() []toolDef {
	return []toolDef{
		defineTool(&mcp.Tool{
			Name:        "git_add",
			Description: "Stage files for the next commit.",
			InputSchema: object([]prop{
				pathArg(),
				p("files", array("Paths to stage, relative to the repository root; [\".\"] stages everything.", stringItem(), minItems(1))),
				p("update", boolean("Stage only changes to tracked files (modifications and deletions).", def(`false`))),
				p("all", boolean("Stage all changes, including untracked and deleted files.", def(`false`))),
				p("force", boolean("Stage files even if they are ignored.", def(`false`))),
			}, "files"),
		}, gitAdd),
		defineTool(&mcp.Tool{
			Name:        "git_commit",
			Description: "Record the staged changes as a new commit (optionally staging files first, or amending the last commit).",
			InputSchema: object([]prop{
				pathArg(),
				p("message", str("The commit message.", minLen(1), maxLen(10000))),
				p("author", authorArg()),
				p("amend", boolean("Replace the last commit instead of adding one.", def(`false`))),
				p("allowEmpty", boolean("Allow a commit that changes nothing.", def(`false`))),
				p("sign", boolean("Sign the commit. Not available in this server; see forceUnsignedOnFailure.")),
				p("noVerify", boolean("Skip commit hooks. Hooks never run in this server, so this changes nothing.", def(`false`))),
				p("filesToStage", pathsArg("Paths to stage before committing, in the same call.")),
				p("forceUnsignedOnFailure", boolean("If signing is requested but not possible, commit unsigned instead of failing.", def(`false`))),
			}, "message"),
		}, gitCommit),
		defineTool(&mcp.Tool{
			Name:        "git_reset",
			Description: "Move the current branch to a commit (soft, mixed, hard, merge or keep), or unstage paths.",
			Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(true)},
			InputSchema: object([]prop{
				pathArg(),
				p("mode", str("soft keeps changes staged; mixed unstages them; hard discards them; merge and keep reset while keeping local changes where safe.", enum("soft", "mixed", "hard", "merge", "keep"), def(`"mixed"`))),
				p("target", revArg("Commit to reset to; default HEAD.")),
				p("paths", pathsArg("Reset only these paths in the index; the branch does not move.")),
				p("confirmed", boolean("Required for a hard reset while a protected branch (main, master, production, prod, release) is checked out.", def(`false`))),
			}),
		}, gitReset),
		defineTool(&mcp.Tool{
			Name:        "git_stash",
			Description: "Save uncommitted changes aside and restore them later: list, push, pop, apply, drop, clear.",
			InputSchema: object([]prop{
				pathArg(),
				p("mode", str("The stash operation.", enum("list", "push", "pop", "apply", "drop", "clear"), def(`"list"`))),
				p("message", str("Description for push.")),
				p("stashRef", str("Which stash for pop, apply and drop: stash@{N} or N; default the latest.")),
				p("includeUntracked", boolean("push: stash untracked files too.", def(`false`))),
				p("keepIndex", boolean("push: leave staged changes in place.", def(`false`))),
			}),
		}, gitStash),
	}
}

// protectedBranches need confirmed=true for history-destroying operations,
// as in the TypeScript server. The policy is the real guard; this catches
// a careless call before it reaches anything.
var protectedBranches = map[string]bool{
	"main": true, "master": true, "production": true, "prod": true, "release": true,
}

type addIn struct {
	Path   string   `json:"path"`
	Files  []string `json:"files"`
	Update bool     `json:"update"`
	All    bool     `json:"all"`
	Force  bool     `json:"force"`
}

func gitAdd(ctx context.Context, s *server, c *call, in *addIn) (string, error) {
	if err := checkPathspecs("files", in.Files); err != nil {
		return "", err
	}
	args := []string{"add"}
	if in.Update {
		args = append(args, "--update")
	}
	if in.All {
		args = append(args, "--all")
	}
	if in.Force {
		args = append(args, "--force")
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	return s.gitText(ctx, r.dir, "Staged: "+strings.Join(in.Files, ", "), append(append(args, "--"), in.Files...)...)
}

type authorIn struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func authorArg() *jsonschema.Schema {
	a := object([]prop{
		p("name", str("Author name.", minLen(1))),
		p("email", str("Author email address.", minLen(1))),
	}, "name", "email")
	a.Schema = "" // only the root carries $schema
	a.Description = "Author to record instead of the configured identity."
	return a
}

type commitIn struct {
	Path                   string    `json:"path"`
	Message                string    `json:"message"`
	Author                 *authorIn `json:"author"`
	Amend                  bool      `json:"amend"`
	AllowEmpty             bool      `json:"allowEmpty"`
	Sign                   *bool     `json:"sign"`
	NoVerify               bool      `json:"noVerify"`
	FilesToStage           []string  `json:"filesToStage"`
	ForceUnsignedOnFailure bool      `json:"forceUnsignedOnFailure"`
}

// errNoSigning explains why sign cannot be honoured: signing runs a
// program with the user's keys, which this server never has.
var errNoSigning = errors.New("signing is not available in this server; set forceUnsignedOnFailure to proceed unsigned")

func gitCommit(ctx context.Context, s *server, c *call, in *commitIn) (string, error) {
	note, err := signNote(in.Sign, in.ForceUnsignedOnFailure)
	if err != nil {
		return "", err
	}
	args := []string{"commit", "--message=" + in.Message}
	if in.Amend {
		args = append(args, "--amend")
	}
	if in.AllowEmpty {
		args = append(args, "--allow-empty")
	}
	if in.NoVerify {
		args = append(args, "--no-verify")
	}
	if in.Author != nil {
		if err := checkAuthor(in.Author.Name, in.Author.Email); err != nil {
			return "", err
		}
		args = append(args, fmt.Sprintf("--author=%s <%s>", in.Author.Name, in.Author.Email))
	}
	if err := checkPathspecs("filesToStage", in.FilesToStage); err != nil {
		return "", err
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	if len(in.FilesToStage) > 0 {
		if _, err := s.run(ctx, r.dir, append([]string{"add", "--"}, in.FilesToStage...)...); err != nil {
			return "", err
		}
	}
	out, err := s.gitText(ctx, r.dir, "Committed.", args...)
	return out + note, err
}

// signNote decides what a sign request means here: an error, or a note
// appended to the result saying the object was not signed.
func signNote(sign *bool, forceUnsigned bool) (string, error) {
	if sign == nil || !*sign {
		return "", nil
	}
	if !forceUnsigned {
		return "", errNoSigning
	}
	return "\n(not signed: signing is not available in this server)", nil
}

type resetIn struct {
	Path      string   `json:"path"`
	Mode      string   `json:"mode"`
	Target    string   `json:"target"`
	Paths     []string `json:"paths"`
	Confirmed bool     `json:"confirmed"`
}

func gitReset(ctx context.Context, s *server, c *call, in *resetIn) (string, error) {
	if in.Target != "" {
		if err := checkRev("target", in.Target); err != nil {
			return "", err
		}
	}
	if err := checkPathspecs("paths", in.Paths); err != nil {
		return "", err
	}
	mode := in.Mode
	if mode == "" {
		mode = "mixed"
	}
	if len(in.Paths) > 0 && mode != "mixed" {
		return "", fmt.Errorf("mode %s cannot be combined with paths", mode)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	args := []string{"reset"}
	if len(in.Paths) == 0 {
		args = append(args, "--"+mode)
	}
	if in.Target != "" {
		args = append(args, in.Target)
	}
	args = append(append(args, "--"), in.Paths...)
	if mode == "hard" && !in.Confirmed {
		if err := s.refuseOnProtected(ctx, r, "hard reset"); err != nil {
			return "", err
		}
	}
	return s.gitText(ctx, r.dir, "Reset done.", args...)
}

// refuseOnProtected fails if a protected branch is checked out.
func (s *server) refuseOnProtected(ctx context.Context, r repo, what string) error {
	cur, err := s.currentBranch(ctx, r)
	if err != nil {
		return err
	}
	if protectedBranches[cur] {
		return fmt.Errorf("%s on protected branch %q needs confirmed: true", what, cur)
	}
	return nil
}

func (s *server) currentBranch(ctx context.Context, r repo) (string, error) {
	res, err := s.runLimit(ctx, r.dir, internalLimit, "branch", "--show-current")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(res.stdout), nil
}

type stashIn struct {
	Path             string `json:"path"`
	Mode             string `json:"mode"`
	Message          string `json:"message"`
	StashRef         string `json:"stashRef"`
	IncludeUntracked bool   `json:"includeUntracked"`
	KeepIndex        bool   `json:"keepIndex"`
}

func gitStash(ctx context.Context, s *server, c *call, in *stashIn) (string, error) {
	var args []string
	fallback := "Done."
	switch in.Mode {
	case "", "list":
		args, fallback = []string{"stash", "list"}, "No stashes."
	case "push":
		args = []string{"stash", "push"}
		if in.IncludeUntracked {
			args = append(args, "--include-untracked")
		}
		if in.KeepIndex {
			args = append(args, "--keep-index")
		}
		if in.Message != "" {
			if err := checkPlain("message", in.Message); err != nil {
				return "", err
			}
			args = append(args, "--message="+in.Message)
		}
		// An empty pathspec list after "--" means the whole tree.
		args = append(args, "--")
	case "pop", "apply", "drop":
		args = []string{"stash", in.Mode}
		if in.StashRef != "" {
			if err := checkStashRef(in.StashRef); err != nil {
				return "", err
			}
			args = append(args, in.StashRef)
		}
	case "clear":
		args = []string{"stash", "clear"}
	default:
		return "", fmt.Errorf("unknown stash mode %q", in.Mode)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	return s.gitText(ctx, r.dir, fallback, args...)
}

func ptr[T any](v T) *T { return &v }
