package filesystem

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	// maxDirEntries bounds one directory listing and maxWalkEntries a whole
	// tree walk: a planted directory with millions of entries must not
	// become a result of hundreds of megabytes.
	maxDirEntries  = 100_000
	maxWalkEntries = 200_000
	// maxWalkDepth bounds recursion in tree walks.
	maxWalkDepth = 128
	// maxPatterns bounds excludePatterns.
	maxPatterns = 100
)

// readDir lists the directory rel, sorted by name. Symlinks are followed
// within the root only; a FIFO or other non-directory is refused without
// blocking.
func readDir(rd *rootDir, rel string) ([]fs.DirEntry, error) {
	f, err := rd.root.OpenFile(rel, os.O_RDONLY|syscall.O_DIRECTORY|noBlockFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(maxDirEntries + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(entries) > maxDirEntries {
		return nil, fmt.Errorf("directory has more than %d entries", maxDirEntries)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// joinChild names an entry of the directory dir. It does not clean the
// result: dir may contain "..", which must keep meaning what os.Root made
// of it when dir was listed, not what a lexical clean would make of it.
// Entry names themselves never contain "/" or "..".
func joinChild(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

func entryTag(e fs.DirEntry) string {
	if e.IsDir() {
		return "[DIR]"
	}
	return "[FILE]"
}

func (s *Server) listDirectory(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	p, err := decodePath(raw)
	if err != nil {
		return nil, err
	}
	rd, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	entries, err := readDir(rd, rel)
	if err != nil {
		return nil, opError("list", p, err)
	}
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = entryTag(e) + " " + e.Name()
	}
	return textResult(strings.Join(lines, "\n")), nil
}

type listSizesArgs struct {
	Path   *string `json:"path"`
	SortBy *string `json:"sortBy"`
}

func (s *Server) listDirectoryWithSizes(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	var a listSizesArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	p, err := pathArgs{a.Path}.get()
	if err != nil {
		return nil, err
	}
	bySize := false
	if a.SortBy != nil {
		switch *a.SortBy {
		case "name":
		case "size":
			bySize = true
		default:
			return nil, fmt.Errorf(`sortBy must be "name" or "size", not %q`, *a.SortBy)
		}
	}
	rd, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	entries, err := readDir(rd, rel)
	if err != nil {
		return nil, opError("list", p, err)
	}
	type sized struct {
		e    fs.DirEntry
		size int64
	}
	items := make([]sized, len(entries))
	var files, dirs int
	var total int64
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		items[i].e = e
		if e.IsDir() {
			dirs++
			continue
		}
		files++
		// Like the reference server, a symlink counts with its target's
		// size; one leading out of the root simply counts as 0.
		if fi, err := rd.root.Stat(joinChild(rel, e.Name())); err == nil {
			items[i].size = fi.Size()
			total += fi.Size()
		}
	}
	if bySize {
		slices.SortStableFunc(items, func(x, y sized) int { return cmp.Compare(y.size, x.size) })
	}
	var sb strings.Builder
	for _, it := range items {
		size := ""
		if !it.e.IsDir() {
			size = fmt.Sprintf("%10s", formatSize(it.size))
		}
		fmt.Fprintf(&sb, "%s %-30s %s\n", entryTag(it.e), it.e.Name(), size)
	}
	fmt.Fprintf(&sb, "\nTotal: %d files, %d directories\nCombined size: %s", files, dirs, formatSize(total))
	return textResult(sb.String()), nil
}

// formatSize renders a byte count the way the reference server does:
// plain bytes below 1 KiB, otherwise two decimals of the largest unit.
func formatSize(n int64) string {
	if n <= 0 {
		return "0 B"
	}
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KB", "MB", "GB", "TB"}
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.2f %s", v, units[i])
}

// excluder decides which entries a walk leaves out.
type excluder []excludePattern

type excludePattern struct {
	g *glob
	// nameToo: a pattern without a slash is also matched against the
	// entry's name, so that "node_modules" or "*.log" exclude at any depth.
	nameToo bool
}

func newExcluder(patterns []string) (excluder, error) {
	if len(patterns) > maxPatterns {
		return nil, fmt.Errorf("%d exclude patterns, more than the limit of %d", len(patterns), maxPatterns)
	}
	ex := make(excluder, 0, len(patterns))
	for _, p := range patterns {
		g, err := compileGlob(p)
		if err != nil {
			return nil, fmt.Errorf("exclude pattern %q: %w", p, err)
		}
		ex = append(ex, excludePattern{g: g, nameToo: !strings.Contains(p, "/")})
	}
	return ex, nil
}

// excludes reports whether the entry at rel (relative to the walk's top)
// named name is left out. An excluded directory is not entered.
func (ex excluder) excludes(rel, name string) bool {
	for _, p := range ex {
		if p.g.match(rel) || (p.nameToo && p.g.match(name)) {
			return true
		}
	}
	return false
}
