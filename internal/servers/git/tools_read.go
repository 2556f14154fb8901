package git

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// Read-only tools: status, log, diff, show.

func readTools() []toolDef {
	return []toolDef{
		defineTool(&mcp.Tool{
			Name:        "git_status",
			Description: "Show the working tree status: current branch, staged, unstaged and untracked changes.",
			Annotations: readOnly(),
			InputSchema: object([]prop{
				pathArg(),
				p("includeUntracked", boolean("List untracked files too.", def(`true`))),
			}),
		}, gitStatus),
		defineTool(&mcp.Tool{
			Name:        "git_log",
			Description: "Show commit history, optionally filtered by author, date, message, branch or file.",
			Annotations: readOnly(),
			InputSchema: object([]prop{
				pathArg(),
				p("maxCount", integer("Show at most this many commits (1-1000).", 1, 1000)),
				p("skip", integer("Skip this many commits first, for paging.", 0, maxSafeInteger)),
				p("since", str("Only commits after this date (ISO 8601 or git's date syntax).")),
				p("until", str("Only commits before this date (ISO 8601 or git's date syntax).")),
				p("author", str("Only commits whose author name or email matches this pattern.")),
				p("grep", str("Only commits whose message matches this regular expression.")),
				p("branch", revArg("Branch or revision to start from; default the current branch.")),
				p("filePath", str("Only commits that touched this path.")),
				p("oneline", boolean("One line per commit: abbreviated hash and subject.", def(`false`))),
				p("stat", boolean("Add per-file change counts to each commit.", def(`false`))),
				p("patch", boolean("Add each commit's full diff.", def(`false`))),
				p("showSignature", boolean("Verify and show each commit's signature.", def(`false`))),
			}),
		}, gitLog),
		defineTool(&mcp.Tool{
			Name:        "git_diff",
			Description: "Show changes: unstaged (default), staged, against a commit, or between two commits.",
			Annotations: readOnly(),
			InputSchema: object([]prop{
				pathArg(),
				p("target", revArg("Commit or branch to compare with. Without it, the diff is of unstaged changes.")),
				p("source", revArg("Commit or branch to compare from; needs target. Without it, target is compared with the working tree.")),
				p("paths", pathsArg("Limit the diff to these paths (relative to the repository root).")),
				p("staged", boolean("Diff the staged changes (the index against HEAD).", def(`false`))),
				p("includeUntracked", boolean("Also list untracked files (names only; their content is not diffed).", def(`false`))),
				p("nameOnly", boolean("Print only the names of changed files.", def(`false`))),
				p("stat", boolean("Print a per-file summary instead of the diff.", def(`false`))),
				p("contextLines", integer("Lines of context around each change.", 0, 100, def(`3`))),
			}),
		}, gitDiff),
		defineTool(&mcp.Tool{
			Name:        "git_show",
			Description: "Show a commit, tag, tree or blob, or a file's content at a given commit.",
			Annotations: readOnly(),
			InputSchema: object([]prop{
				pathArg(),
				p("object", revArg("Object to show: commit hash, branch, tag, tree or blob.")),
				p("format", str("raw (git's own output, the default) or json (commits only: metadata, message and diff).", enum("raw", "json"))),
				p("stat", boolean("Show a per-file summary instead of the full diff.", def(`false`))),
				p("filePath", str("Show this file's content as of object.")),
			}, "object"),
		}, gitShow),
	}
}

func readOnly() *mcp.ToolAnnotations { return &mcp.ToolAnnotations{ReadOnlyHint: true} }

type statusIn struct {
	Path             string `json:"path"`
	IncludeUntracked *bool  `json:"includeUntracked"`
}

func gitStatus(ctx context.Context, s *server, c *call, in *statusIn) (string, error) {
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	untracked := "--untracked-files=normal"
	if in.IncludeUntracked != nil && !*in.IncludeUntracked {
		untracked = "--untracked-files=no"
	}
	return s.gitText(ctx, r.dir, "", "status", "--branch", untracked)
}

type logIn struct {
	Path          string `json:"path"`
	MaxCount      *int   `json:"maxCount"`
	Skip          *int   `json:"skip"`
	Since         string `json:"since"`
	Until         string `json:"until"`
	Author        string `json:"author"`
	Grep          string `json:"grep"`
	Branch        string `json:"branch"`
	FilePath      string `json:"filePath"`
	Oneline       bool   `json:"oneline"`
	Stat          bool   `json:"stat"`
	Patch         bool   `json:"patch"`
	ShowSignature bool   `json:"showSignature"`
}

func gitLog(ctx context.Context, s *server, c *call, in *logIn) (string, error) {
	args := []string{"log", "--no-ext-diff", "--no-textconv"}
	if in.MaxCount != nil {
		args = append(args, "--max-count="+strconv.Itoa(*in.MaxCount))
	}
	if in.Skip != nil {
		args = append(args, "--skip="+strconv.Itoa(*in.Skip))
	}
	// Filter values travel inside their option's own argument, so a
	// leading '-' in them is data, not an option.
	for _, f := range []struct{ opt, v string }{
		{"--since=", in.Since}, {"--until=", in.Until}, {"--author=", in.Author}, {"--grep=", in.Grep},
	} {
		if f.v == "" {
			continue
		}
		if err := checkPlain(strings.Trim(f.opt, "-="), f.v); err != nil {
			return "", err
		}
		args = append(args, f.opt+f.v)
	}
	if in.Oneline {
		args = append(args, "--oneline")
	}
	if in.Stat {
		args = append(args, "--stat")
	}
	if in.Patch {
		args = append(args, "--patch")
	}
	if in.ShowSignature {
		args = append(args, "--show-signature")
	}
	if in.Branch != "" {
		if err := checkRev("branch", in.Branch); err != nil {
			return "", err
		}
		args = append(args, in.Branch)
	}
	args = append(args, "--")
	if in.FilePath != "" {
		if err := checkPathspec("filePath", in.FilePath); err != nil {
			return "", err
		}
		args = append(args, in.FilePath)
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	return s.gitText(ctx, r.dir, "No commits.", args...)
}

type diffIn struct {
	Path             string   `json:"path"`
	Target           string   `json:"target"`
	Source           string   `json:"source"`
	Paths            []string `json:"paths"`
	Staged           bool     `json:"staged"`
	IncludeUntracked bool     `json:"includeUntracked"`
	NameOnly         bool     `json:"nameOnly"`
	Stat             bool     `json:"stat"`
	ContextLines     *int     `json:"contextLines"`
}

func gitDiff(ctx context.Context, s *server, c *call, in *diffIn) (string, error) {
	unified := 3
	if in.ContextLines != nil {
		unified = *in.ContextLines
	}
	args := []string{"diff", "--no-ext-diff", "--no-textconv", "--unified=" + strconv.Itoa(unified)}
	if in.Staged {
		args = append(args, "--cached")
	}
	if in.NameOnly {
		args = append(args, "--name-only")
	}
	if in.Stat {
		args = append(args, "--stat")
	}
	if in.Source != "" && in.Target == "" {
		return "", errors.New("source needs target")
	}
	for _, rv := range []struct{ what, v string }{{"source", in.Source}, {"target", in.Target}} {
		if rv.v == "" {
			continue
		}
		if err := checkRev(rv.what, rv.v); err != nil {
			return "", err
		}
		args = append(args, rv.v)
	}
	if err := checkPathspecs("paths", in.Paths); err != nil {
		return "", err
	}
	args = append(append(args, "--"), in.Paths...)
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	out, err := s.gitText(ctx, r.dir, "No changes.", args...)
	if err != nil || !in.IncludeUntracked {
		return out, err
	}
	return s.appendUntracked(ctx, r.dir, out, in.Paths)
}

// appendUntracked lists untracked files after a diff. Their content is
// not shown: reading it would follow symlinks in the work tree, which may
// point outside the roots, and staging them (git add -N) would change the
// index in a read-only tool.
func (s *server) appendUntracked(ctx context.Context, dir resource.Path, out string, paths []string) (string, error) {
	res, err := s.run(ctx, dir, append([]string{"ls-files", "--others", "--exclude-standard", "--"}, paths...)...)
	if err != nil {
		return "", err
	}
	list := strings.TrimSpace(res.stdout)
	if list == "" {
		return out, nil
	}
	return out + "\n\nUntracked files (not diffed):\n" + res.text(""), nil
}

type showIn struct {
	Path     string `json:"path"`
	Object   string `json:"object"`
	Format   string `json:"format"`
	Stat     bool   `json:"stat"`
	FilePath string `json:"filePath"`
}

func gitShow(ctx context.Context, s *server, c *call, in *showIn) (string, error) {
	if err := checkRev("object", in.Object); err != nil {
		return "", err
	}
	rev := in.Object
	if in.FilePath != "" {
		if err := checkPathspec("filePath", in.FilePath); err != nil {
			return "", err
		}
		if in.Format == "json" {
			return "", errors.New("format json does not apply to filePath")
		}
		// One argument "object:path": git reads it as a blob name, never an
		// option, since object does not start with '-'.
		rev = in.Object + ":" + in.FilePath
	}
	r, err := s.repoAt(ctx, c, in.Path)
	if err != nil {
		return "", err
	}
	if in.Format == "json" {
		return s.showJSON(ctx, r.dir, rev, in.Stat)
	}
	args := []string{"show", "--no-ext-diff", "--no-textconv"}
	if in.Stat {
		args = append(args, "--stat")
	}
	return s.gitText(ctx, r.dir, "", append(args, rev, "--")...)
}

// commitFormat prints a commit's fields separated by NUL, which no field
// but the message can contain, and the message comes last.
const commitFormat = "--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"

type person struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Date  string `json:"date"`
}

type commitJSON struct {
	Hash      string   `json:"hash"`
	Tree      string   `json:"tree"`
	Parents   []string `json:"parents"`
	Author    person   `json:"author"`
	Committer person   `json:"committer"`
	Message   string   `json:"message"`
	Stat      string   `json:"stat,omitempty"`
	Diff      string   `json:"diff,omitempty"`
	Truncated bool     `json:"truncated,omitempty"`
}

func (s *server) showJSON(ctx context.Context, dir resource.Path, rev string, stat bool) (string, error) {
	commit := rev + "^{commit}"
	res, err := s.run(ctx, dir, "show", "--no-patch", commitFormat, commit, "--")
	if err != nil {
		return "", fmt.Errorf("format json works for commits only: %w", err)
	}
	if res.truncated {
		return "", fmt.Errorf("commit %s is longer than the output limit; use format raw", rev)
	}
	f := strings.SplitN(res.stdout, "\x00", 10)
	if len(f) != 10 {
		return "", fmt.Errorf("git show %s: unexpected output", rev)
	}
	cj := commitJSON{
		Hash: f[0], Tree: f[1], Parents: strings.Fields(f[2]),
		Author:    person{f[3], f[4], f[5]},
		Committer: person{f[6], f[7], f[8]},
		Message:   strings.TrimRight(f[9], "\n"),
	}
	if cj.Parents == nil {
		cj.Parents = []string{}
	}
	args := []string{"show", "--format=", "--no-ext-diff", "--no-textconv"}
	if stat {
		args = append(args, "--stat")
	}
	res, err = s.run(ctx, dir, append(args, commit, "--")...)
	if err != nil {
		return "", err
	}
	if stat {
		cj.Stat = strings.TrimPrefix(res.stdout, "\n")
	} else {
		cj.Diff = strings.TrimPrefix(res.stdout, "\n")
	}
	cj.Truncated = res.truncated
	b, err := json.MarshalIndent(cj, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// gitText runs git and returns its output as the tool's text.
func (s *server) gitText(ctx context.Context, dir resource.Path, fallback string, args ...string) (string, error) {
	res, err := s.run(ctx, dir, args...)
	if err != nil {
		return "", err
	}
	return res.text(fallback), nil
}
