package filesystem

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxLineCount bounds head and tail; more lines than this could not fit in
// the read limit anyway.
const maxLineCount = maxReadBytes

// maxPathsPerCall bounds read_multiple_files.
const maxPathsPerCall = 1000

type readTextArgs struct {
	Path *string  `json:"path"`
	Head *float64 `json:"head"`
	Tail *float64 `json:"tail"`
}

func (s *Server) readTextFile(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	var a readTextArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if a.Path == nil {
		return nil, errors.New(`missing required argument "path"`)
	}
	head, err := lineCount("head", a.Head)
	if err != nil {
		return nil, err
	}
	tail, err := lineCount("tail", a.Tail)
	if err != nil {
		return nil, err
	}
	// Zero means "not given", as in the reference server.
	if head > 0 && tail > 0 {
		return nil, errors.New("head and tail cannot both be given")
	}
	rd, rel, err := s.resolve(*a.Path)
	if err != nil {
		return nil, err
	}
	var text string
	switch {
	case head > 0:
		text, err = headLines(rd, rel, head, s.readLimit)
	case tail > 0:
		text, err = tailLines(rd, rel, tail, s.readLimit)
	default:
		var data []byte
		data, err = readRegular(rd, rel, s.readLimit)
		text = string(data)
	}
	if err != nil {
		return nil, opError("read", *a.Path, err)
	}
	return textResult(strings.ToValidUTF8(text, "\uFFFD")), nil
}

// lineCount validates a head or tail argument: a whole number of lines.
func lineCount(name string, v *float64) (int, error) {
	if v == nil {
		return 0, nil
	}
	f := *v
	if f < 0 || f != math.Trunc(f) || f > maxLineCount {
		return 0, fmt.Errorf("%s must be a whole number from 0 to %d, not %v", name, maxLineCount, f)
	}
	return int(f), nil
}

// headLines returns the first n lines, without the final line break,
// reading at most limit bytes.
func headLines(rd *rootDir, rel string, n int, limit int64) (string, error) {
	f, _, err := openRegular(rd, rel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r := bufio.NewReader(io.LimitReader(f, limit+1))
	var out []byte
	for lines := 0; lines < n; lines++ {
		line, err := r.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) {
			out = append(out, line...)
			if int64(len(out)) > limit {
				return "", fmt.Errorf("the first %d lines are %w", n, &tooLargeError{limit})
			}
			line, err = r.ReadSlice('\n')
		}
		out = append(out, line...)
		if int64(len(out)) > limit {
			return "", fmt.Errorf("the first %d lines are %w", n, &tooLargeError{limit})
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return string(bytes.TrimSuffix(out, []byte("\n"))), nil
}

// tailLines returns the last n lines, without the final line break,
// reading backwards from the end in chunks and at most limit bytes.
func tailLines(rd *rootDir, rel string, n int, limit int64) (string, error) {
	f, fi, err := openRegular(rd, rel)
	if err != nil {
		return "", err
	}
	defer f.Close()
	const chunk = 64 << 10
	pos := fi.Size()
	var buf []byte
	for pos > 0 {
		body := bytes.TrimSuffix(buf, []byte("\n"))
		if len(buf) > 0 && bytes.Count(body, []byte("\n")) >= n {
			break
		}
		step := min(int64(chunk), pos, limit-int64(len(buf)))
		if step <= 0 {
			return "", fmt.Errorf("the last %d lines are %w", n, &tooLargeError{limit})
		}
		pos -= step
		part := make([]byte, step)
		if _, err := f.ReadAt(part, pos); err != nil {
			return "", err
		}
		buf = append(part, buf...)
	}
	lines := strings.Split(strings.TrimSuffix(string(buf), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n"), nil
}

type pathArgs struct {
	Path *string `json:"path"`
}

func (a pathArgs) get() (string, error) {
	if a.Path == nil {
		return "", errors.New(`missing required argument "path"`)
	}
	return *a.Path, nil
}

func decodePath(raw json.RawMessage) (string, error) {
	var a pathArgs
	if err := decodeArgs(raw, &a); err != nil {
		return "", err
	}
	return a.get()
}

// mediaTypes maps lower-case extensions to MIME types, as the reference
// server does; anything else is application/octet-stream.
func mediaType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".bmp":
		return "image/bmp"
	case ".svg":
		return "image/svg+xml"
	case ".mp3":
		return "audio/mpeg"
	case ".wav":
		return "audio/wav"
	case ".ogg":
		return "audio/ogg"
	case ".flac":
		return "audio/flac"
	}
	return "application/octet-stream"
}

func (s *Server) readMediaFile(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	p, err := decodePath(raw)
	if err != nil {
		return nil, err
	}
	rd, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	data, err := readRegular(rd, rel, s.readLimit)
	if err != nil {
		return nil, opError("read", p, err)
	}
	mime := mediaType(rel)
	var c mcp.Content
	switch {
	case strings.HasPrefix(mime, "image/"):
		c = &mcp.ImageContent{Data: data, MIMEType: mime}
	case strings.HasPrefix(mime, "audio/"):
		c = &mcp.AudioContent{Data: data, MIMEType: mime}
	default:
		// MCP has no bare binary content; an embedded blob resource is the
		// standard carrier.
		u := url.URL{Scheme: "file", Path: displayPath(rd, rel)}
		c = &mcp.EmbeddedResource{Resource: &mcp.ResourceContents{URI: u.String(), MIMEType: mime, Blob: data}}
	}
	return &mcp.CallToolResult{Content: []mcp.Content{c}}, nil
}

type readMultipleArgs struct {
	Paths []string `json:"paths"`
}

func (s *Server) readMultipleFiles(ctx context.Context, raw json.RawMessage) (*mcp.CallToolResult, error) {
	var a readMultipleArgs
	if err := decodeArgs(raw, &a); err != nil {
		return nil, err
	}
	if len(a.Paths) == 0 {
		return nil, errors.New(`"paths" must list at least one file`)
	}
	if len(a.Paths) > maxPathsPerCall {
		return nil, fmt.Errorf(`"paths" lists %d files, more than the limit of %d`, len(a.Paths), maxPathsPerCall)
	}
	budget := s.readLimit
	parts := make([]string, 0, len(a.Paths))
	for _, p := range a.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := s.readForMultiple(p, budget)
		if err != nil {
			parts = append(parts, fmt.Sprintf("%s: Error - %s", p, oneLine(err.Error())))
			continue
		}
		budget -= int64(len(data))
		parts = append(parts, fmt.Sprintf("%s:\n%s\n", p, strings.ToValidUTF8(string(data), "\uFFFD")))
	}
	return textResult(strings.Join(parts, "\n---\n")), nil
}

func (s *Server) readForMultiple(p string, budget int64) ([]byte, error) {
	rd, rel, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	data, err := readRegular(rd, rel, budget)
	var tooLarge *tooLargeError
	if errors.As(err, &tooLarge) && budget < s.readLimit {
		return nil, fmt.Errorf("read %s: the files together are %w", p, &tooLargeError{s.readLimit})
	}
	if err != nil {
		return nil, opError("read", p, err)
	}
	return data, nil
}
