package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// repo is a repository that passed openRepo's checks.
type repo struct {
	dir  resource.Path // where git runs: the directory the call named
	top  string        // the work tree's top directory; "" in a bare repository
	bare bool
}

// errNotRepo is returned (wrapped) when a directory is not in a git
// repository, or does not exist.
var errNotRepo = errors.New("not in a git repository")

// openRepo checks that dir is in a git repository whose every part lies
// inside the roots and whose config runs no command we cannot switch off.
// The agent can write .git files, core.worktree and config, so git's view
// of the repository is checked, not just the directory we were given.
func (s *server) openRepo(ctx context.Context, dir resource.Path) (repo, error) {
	if fi, err := os.Stat(string(dir)); err != nil || !fi.IsDir() {
		return repo{}, fmt.Errorf("%s: %w (not an existing directory)", dir, errNotRepo)
	}
	res, err := s.runLimit(ctx, dir, internalLimit, "rev-parse", "--path-format=absolute",
		"--git-dir", "--git-common-dir", "--is-inside-work-tree", "--is-bare-repository")
	if err != nil {
		var ge *gitError
		if errors.As(err, &ge) && strings.Contains(ge.stderr, "not a git repository") {
			return repo{}, fmt.Errorf("%s: %w", dir, errNotRepo)
		}
		return repo{}, err
	}
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) != 4 {
		return repo{}, fmt.Errorf("git rev-parse in %s: unexpected output %q", dir, res.stdout)
	}
	if err := s.inRoots("git directory", lines[0]); err != nil {
		return repo{}, err
	}
	if err := s.inRoots("git common directory", lines[1]); err != nil {
		return repo{}, err
	}
	r := repo{dir: dir, bare: lines[3] == "true"}
	if lines[2] == "true" {
		res, err := s.runLimit(ctx, dir, internalLimit, "rev-parse", "--show-toplevel")
		if err != nil {
			return repo{}, err
		}
		r.top = strings.TrimSuffix(res.stdout, "\n")
		if err := s.inRoots("work tree", r.top); err != nil {
			return repo{}, err
		}
	}
	if err := s.checkRepoConfig(ctx, dir); err != nil {
		return repo{}, err
	}
	return r, nil
}

// checkRepoConfig refuses a repository whose config (with includes) sets a
// key that makes git run a program. The fixed "-c" settings cover keys
// with one name; these have names the repository chooses (filter.<x>.clean
// applies to whatever .gitattributes names) or cannot be reset from the
// command line.
func (s *server) checkRepoConfig(ctx context.Context, dir resource.Path) error {
	res, err := s.runLimit(ctx, dir, internalLimit, "config", "--list", "-z", "--includes", "--show-scope")
	if err != nil {
		return fmt.Errorf("read repository config: %w", err)
	}
	if res.truncated {
		return errors.New("repository config is too large to check")
	}
	entries, err := parseConfigList(res.stdout)
	if err != nil {
		return fmt.Errorf("read repository config: %w", err)
	}
	for _, e := range entries {
		switch e.scope {
		case "command", "global", "system":
			// Ours (the fixed -c settings) or the operator's (Config.Env).
			continue
		}
		if why := s.dangerousKey(e.key); why != "" {
			return fmt.Errorf("repository config sets %s (%s scope): %s; refusing to run git here", e.key, e.scope, why)
		}
	}
	return nil
}

// configEntry is one line of `git config --list -z --show-scope`.
type configEntry struct {
	scope, key, value string
	hasValue          bool
}

// parseConfigList parses the -z --show-scope form: for each entry, the
// scope, NUL, the key, then a newline and the value if there is one, NUL.
// Values may contain newlines; keys and scopes cannot.
func parseConfigList(out string) ([]configEntry, error) {
	if out == "" {
		return nil, nil
	}
	if !strings.HasSuffix(out, "\x00") {
		return nil, errors.New("config list is not NUL-terminated")
	}
	fields := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	if len(fields)%2 != 0 {
		return nil, fmt.Errorf("config list has %d fields, want scope/entry pairs", len(fields))
	}
	entries := make([]configEntry, 0, len(fields)/2)
	for i := 0; i < len(fields); i += 2 {
		scope := fields[i]
		if scope == "" || strings.ContainsAny(scope, "\n") {
			return nil, fmt.Errorf("config entry %d: bad scope %q", i/2, scope)
		}
		key, value, hasValue := strings.Cut(fields[i+1], "\n")
		if key == "" || !strings.Contains(key, ".") {
			return nil, fmt.Errorf("config entry %d: bad key %q", i/2, key)
		}
		entries = append(entries, configEntry{scope: scope, key: key, value: value, hasValue: hasValue})
	}
	return entries, nil
}

// splitKey splits section.subsection.name; the subsection may itself
// contain dots (credential.https://host.example.helper). git prints section
// and name lowercased; we lowercase again so the check never depends on it.
func splitKey(key string) (section, sub, name string, hasSub bool) {
	first, last := strings.IndexByte(key, '.'), strings.LastIndexByte(key, '.')
	if first < 0 {
		return strings.ToLower(key), "", "", false
	}
	section, name = strings.ToLower(key[:first]), strings.ToLower(key[last+1:])
	if first != last {
		return section, key[first+1 : last], name, true
	}
	return section, "", name, false
}

// dangerousKey says why a repository config key is refused, or "" if it
// is not. Each entry is a key whose value git executes (or, for protocol
// and hook, that would re-open what the fixed settings close).
func (s *server) dangerousKey(key string) string {
	section, _, name, hasSub := splitKey(key)
	switch section {
	case "filter":
		if hasSub && (name == "clean" || name == "smudge" || name == "process") {
			return "a filter driver runs a command"
		}
	case "diff":
		if !hasSub && name == "external" || hasSub && (name == "command" || name == "textconv") {
			return "an external diff or textconv runs a command"
		}
	case "merge":
		if hasSub && name == "driver" {
			return "a merge driver runs a command"
		}
	case "core":
		switch name {
		case "gitproxy", "alternaterefscommand", "sshcommand":
			return "it names a command"
		}
	case "remote":
		if hasSub && (name == "uploadpack" || name == "receivepack" || name == "vcs") {
			return "it names a program git runs for the remote"
		}
	case "credential":
		if name == "helper" && s.credOK {
			// With helpers off, the fixed "credential.helper=" clears it.
			return "a credential helper is a command"
		}
	case "gpg":
		if name == "program" {
			return "it names the signing program"
		}
	case "hook":
		return "config-defined hooks run commands"
	case "trailer":
		if hasSub && (name == "command" || name == "cmd") {
			return "it names a command"
		}
	case "protocol":
		return "transport permissions are fixed by the server"
	}
	return ""
}
