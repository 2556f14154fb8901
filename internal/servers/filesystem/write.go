package filesystem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxEdits bounds the edits in one edit_file call.
const maxEdits = 1000

type writeArgs struct {
	Path    *string `json:"path"`
	Content *string `json:"content"`
}

func (s *Server) writeFile(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	var a writeArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if a.Path == nil || a.Content == nil {
		return nil, errors.New(`missing required argument "path" or "content"`)
	}
	rd, rel, err := s.resolve(*a.Path)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(rd, rel, []byte(*a.Content)); err != nil {
		return nil, opError("write", *a.Path, err)
	}
	return textResult("Successfully wrote to " + *a.Path), nil
}

type editArgs struct {
	Path   *string `json:"path"`
	Edits  []edit  `json:"edits"`
	DryRun bool    `json:"dryRun"`
}

// edit is one replacement. Pointers tell a missing field from an empty one.
type edit struct {
	OldText *string `json:"oldText"`
	NewText *string `json:"newText"`
}

func (s *Server) editFile(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	var a editArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if a.Path == nil || a.Edits == nil {
		return nil, errors.New(`missing required argument "path" or "edits"`)
	}
	if len(a.Edits) > maxEdits {
		return nil, fmt.Errorf("%d edits, more than the limit of %d", len(a.Edits), maxEdits)
	}
	reps := make([]replacement, len(a.Edits))
	for i, e := range a.Edits {
		if e.OldText == nil || e.NewText == nil {
			return nil, fmt.Errorf("edits[%d]: oldText and newText are both required", i)
		}
		reps[i] = replacement{old: *e.OldText, new: *e.NewText}
	}
	rd, rel, err := s.resolve(*a.Path)
	if err != nil {
		return nil, err
	}
	data, err := readRegular(rd, rel, s.readLimit)
	if err != nil {
		return nil, opError("read", *a.Path, err)
	}
	original := string(data)
	before, crlf := normalizeNewlines(original)
	after, err := applyEdits(ctx, before, reps)
	if err != nil {
		return nil, fmt.Errorf("edit %s: %w", *a.Path, err)
	}
	diff := fencedDiff(unifiedDiff(*a.Path, before, after))
	if a.DryRun {
		return textResult(diff), nil
	}
	if crlf {
		after = strings.ReplaceAll(after, "\n", "\r\n")
	}
	if err := writeAtomic(rd, rel, []byte(after)); err != nil {
		return nil, opError("write", *a.Path, err)
	}
	return textResult(diff), nil
}

// normalizeNewlines turns CRLF into LF for matching and diffing, and
// reports whether the file used CRLF throughout, in which case it is
// written back with CRLF. A file mixing both is written back with LF, as
// the reference server does with every file.
func normalizeNewlines(s string) (string, bool) {
	if !strings.Contains(s, "\r\n") {
		return s, false
	}
	n := strings.ReplaceAll(s, "\r\n", "\n")
	return n, strings.Count(s, "\n") == strings.Count(s, "\r\n")
}

// fencedDiff wraps a diff in a markdown code fence longer than any run of
// backticks inside it, so file content cannot close the fence early.
func fencedDiff(diff string) string {
	fence := "```"
	for strings.Contains(diff, fence) {
		fence += "`"
	}
	return fence + "diff\n" + diff + fence + "\n\n"
}

func (s *Server) createDirectory(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	p, err := decodePath(raw)
	if err != nil {
		return nil, err
	}
	rd, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	if err := rd.root.MkdirAll(rel, 0o755); err != nil {
		return nil, opError("create directory", p, err)
	}
	return textResult("Successfully created directory " + p), nil
}

type moveArgs struct {
	Source      *string `json:"source"`
	Destination *string `json:"destination"`
}

func (s *Server) moveFile(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	var a moveArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if a.Source == nil || a.Destination == nil {
		return nil, errors.New(`missing required argument "source" or "destination"`)
	}
	roots := s.roots()
	srcRoot, srcRel, err := route(roots, *a.Source)
	if err != nil {
		return nil, err
	}
	dstRoot, dstRel, err := route(roots, *a.Destination)
	if err != nil {
		return nil, err
	}
	if srcRel == "." {
		return nil, fmt.Errorf("move %s: cannot move an allowed directory itself", *a.Source)
	}
	// rename(2) replaces an existing destination; the tool promises not to.
	// The check and the rename are not atomic, but a race can only clobber
	// a file inside the same root, which a plain write could do anyway.
	if _, err := dstRoot.root.Lstat(dstRel); err == nil {
		return nil, fmt.Errorf("move %s: destination already exists: %s", *a.Source, *a.Destination)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, opError("move to", *a.Destination, err)
	}
	if srcRoot == dstRoot {
		err = srcRoot.root.Rename(srcRel, dstRel)
	} else {
		err = moveAcrossRoots(srcRoot, srcRel, dstRoot, dstRel)
	}
	if err != nil {
		return nil, opError("move", *a.Source, err)
	}
	return textResult(fmt.Sprintf("Successfully moved %s to %s", *a.Source, *a.Destination)), nil
}

// moveAcrossRoots moves a regular file between two roots by copying it
// through both os.Root handles and then removing the source. No rename
// can name both roots without a path that one of them would have to
// trust, so directories, whose copy could not be made atomic or bounded,
// are refused.
func moveAcrossRoots(src *rootDir, srcRel string, dst *rootDir, dstRel string) error {
	fi, err := src.root.Lstat(srcRel)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return errors.New("only regular files can be moved between allowed directories")
	}
	in, _, err := openRegular(src, srcRel)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := dst.root.OpenFile(dstRel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = dst.root.Remove(dstRel)
		return err
	}
	if err := src.root.Remove(srcRel); err != nil {
		return fmt.Errorf("copied, but removing the source failed: %w", err)
	}
	return nil
}
