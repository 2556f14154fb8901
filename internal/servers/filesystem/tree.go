package filesystem

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var errTooManyEntries = fmt.Errorf("more than %d entries", maxWalkEntries)

// walk calls visit for every entry under the directory rel, depth first in
// name order. visit decides whether a directory is entered. Symlinks are
// reported but never entered, so a walk cannot loop or leave the root.
func walk(ctx context.Context, rd *rootDir, rel string, visit func(relToTop string, e fs.DirEntry) (enter bool)) error {
	count := 0
	var rec func(dir, relToTop string, depth int) error
	rec = func(dir, relToTop string, depth int) error {
		if depth > maxWalkDepth {
			return fmt.Errorf("directory tree deeper than %d levels", maxWalkDepth)
		}
		entries, err := readDir(rd, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			count++
			if count > maxWalkEntries {
				return errTooManyEntries
			}
			childRel := e.Name()
			if relToTop != "" {
				childRel = relToTop + "/" + e.Name()
			}
			if visit(childRel, e) && e.IsDir() {
				if err := rec(joinChild(dir, e.Name()), childRel, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return rec(rel, "", 0)
}

type treeArgs struct {
	Path            *string  `json:"path"`
	ExcludePatterns []string `json:"excludePatterns"`
}

// treeEntry is one node of directory_tree's JSON. Directories always carry
// a children list, possibly empty; files never do.
type treeEntry struct {
	Name     string       `json:"name"`
	Type     string       `json:"type"`
	Children *[]treeEntry `json:"children,omitempty"`
}

func (s *Server) directoryTree(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	var a treeArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	p, err := pathArgs{a.Path}.get()
	if err != nil {
		return nil, err
	}
	ex, err := newExcluder(a.ExcludePatterns)
	if err != nil {
		return nil, err
	}
	rd, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	top := []treeEntry{}
	// byDir finds the children list an entry belongs to; walk visits a
	// directory before its contents.
	byDir := map[string]*[]treeEntry{"": &top}
	err = walk(ctx, rd, rel, func(relToTop string, e fs.DirEntry) bool {
		if ex.excludes(relToTop, e.Name()) {
			return false
		}
		parent := byDir[parentOf(relToTop)]
		node := treeEntry{Name: e.Name(), Type: "file"}
		if e.IsDir() {
			node.Type = "directory"
			node.Children = &[]treeEntry{}
			byDir[relToTop] = node.Children
		}
		*parent = append(*parent, node)
		return true
	})
	if err != nil {
		return nil, opError("tree", p, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(top); err != nil {
		return nil, fmt.Errorf("tree %s: %w", p, err)
	}
	return textResult(strings.TrimSuffix(buf.String(), "\n")), nil
}

func parentOf(rel string) string {
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return ""
	}
	return rel[:i]
}

type searchArgs struct {
	Path            *string  `json:"path"`
	Pattern         *string  `json:"pattern"`
	ExcludePatterns []string `json:"excludePatterns"`
}

func (s *Server) searchFiles(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	var a searchArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	p, err := pathArgs{a.Path}.get()
	if err != nil {
		return nil, err
	}
	if a.Pattern == nil {
		return nil, errors.New(`missing required argument "pattern"`)
	}
	match, err := searchMatcher(*a.Pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", *a.Pattern, err)
	}
	ex, err := newExcluder(a.ExcludePatterns)
	if err != nil {
		return nil, err
	}
	rd, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(displayPath(rd, rel), "/")
	var results []string
	err = walk(ctx, rd, rel, func(relToTop string, e fs.DirEntry) bool {
		if ex.excludes(relToTop, e.Name()) {
			return false
		}
		if match(relToTop, e.Name()) {
			results = append(results, base+"/"+relToTop)
		}
		return true
	})
	if err != nil {
		return nil, opError("search", p, err)
	}
	if len(results) == 0 {
		return textResult("No matches found"), nil
	}
	return textResult(strings.Join(results, "\n")), nil
}

// searchMatcher builds search_files' test for one entry. A pattern with a
// slash is a glob over the path relative to the search directory; one
// with glob syntax but no slash is a glob over the entry's name, at any
// depth; a plain word matches names containing it, ignoring case, as the
// older reference servers did.
func searchMatcher(pattern string) (func(rel, name string) bool, error) {
	if pattern == "" {
		return nil, errors.New("empty pattern")
	}
	if !strings.Contains(pattern, "/") && !hasGlobMeta(pattern) {
		if len(pattern) > maxPatternLen {
			return nil, fmt.Errorf("pattern longer than %d bytes", maxPatternLen)
		}
		want := strings.ToLower(pattern)
		return func(_, name string) bool { return strings.Contains(strings.ToLower(name), want) }, nil
	}
	g, err := compileGlob(pattern)
	if err != nil {
		return nil, err
	}
	if strings.Contains(pattern, "/") {
		return func(rel, _ string) bool { return g.match(rel) }, nil
	}
	return func(_, name string) bool { return g.match(name) }, nil
}
