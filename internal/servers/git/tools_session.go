package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The session working directory: set once, then used by every tool whose
// path is absent or ".".

func sessionTools() []toolDef {
	return []toolDef{
		defineTool(&mcp.Tool{
			Name:        "git_set_working_dir",
			Description: "Set this session's working directory, used by every tool called without path.",
			InputSchema: object([]prop{
				p("path", str("Absolute path of the directory (normally a repository's top level).", minLen(1))),
				p("validateGitRepo", boolean("Require the directory to be inside a git repository.", def(`true`))),
				p("initializeIfNotPresent", boolean("If it is not a repository, run git init there first.", def(`false`))),
				p("includeMetadata", boolean("Also return the status, branches, remotes and recent commits.", def(`false`))),
			}, "path"),
		}, gitSetWorkingDir),
		defineTool(&mcp.Tool{
			Name:        "git_clear_working_dir",
			Description: "Forget this session's working directory; later calls must then give path.",
			InputSchema: object([]prop{
				p("confirm", str("Confirmation: Y, y, Yes or yes.", enum("Y", "y", "Yes", "yes"))),
			}, "confirm"),
		}, gitClearWorkingDir),
	}
}

type setWorkingDirIn struct {
	Path                   string `json:"path"`
	ValidateGitRepo        *bool  `json:"validateGitRepo"`
	InitializeIfNotPresent bool   `json:"initializeIfNotPresent"`
	IncludeMetadata        bool   `json:"includeMetadata"`
}

func gitSetWorkingDir(ctx context.Context, s *server, c *call, in *setWorkingDirIn) (string, error) {
	if !filepath.IsAbs(in.Path) {
		return "", fmt.Errorf("path %q is not absolute", in.Path)
	}
	dir, err := s.resolvePath(in.Path, "")
	if err != nil {
		return "", err
	}
	validate := in.ValidateGitRepo == nil || *in.ValidateGitRepo
	var initOut string
	if validate || in.InitializeIfNotPresent || in.IncludeMetadata {
		_, err := s.openRepo(ctx, dir)
		switch {
		case err == nil:
		case in.InitializeIfNotPresent && errors.Is(err, errNotRepo):
			if initOut, err = s.gitText(ctx, s.rootOf(dir), "", "init", "--initial-branch=main", "--", string(dir)); err != nil {
				return "", err
			}
			if _, err := s.openRepo(ctx, dir); err != nil {
				return "", err
			}
		case validate || in.IncludeMetadata:
			return "", err
		}
	}
	if fi, err := os.Stat(string(dir)); err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	} else if !fi.IsDir() {
		return "", fmt.Errorf("working directory %s is not a directory", dir)
	}
	s.sessions.set(c.session, string(dir))
	var b strings.Builder
	if initOut != "" {
		b.WriteString(initOut + "\n")
	}
	fmt.Fprintf(&b, "Working directory set to %s.", dir)
	if in.IncludeMetadata {
		for _, q := range []struct {
			title string
			args  []string
		}{
			{"Status", []string{"status", "--short", "--branch"}},
			{"Branches", []string{"branch", "--list", "--all", "-v"}},
			{"Remotes", []string{"remote", "--verbose"}},
			{"Recent commits", []string{"log", "--oneline", "--max-count=5"}},
		} {
			res, err := s.run(ctx, dir, q.args...)
			text := res.text("(none)")
			if err != nil {
				// An empty repository has no log; that is metadata too.
				text = "(unavailable)"
			}
			fmt.Fprintf(&b, "\n\n%s:\n%s", q.title, text)
		}
	}
	return b.String(), nil
}

type clearWorkingDirIn struct {
	Confirm string `json:"confirm"`
}

func gitClearWorkingDir(_ context.Context, s *server, c *call, _ *clearWorkingDirIn) (string, error) {
	// The schema's enum has already required an explicit confirmation.
	prev := s.workingDir(c)
	s.sessions.clear(c.session)
	if prev == "" {
		return "No working directory was set.", nil
	}
	return "Cleared working directory " + prev + ".", nil
}
