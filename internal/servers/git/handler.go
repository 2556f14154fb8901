package git

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
)

// maxArgsBytes bounds a call's arguments. The largest legitimate value is
// a commit message of 10000 characters (up to 40 KB in UTF-8) or a list of
// paths; a megabyte leaves room and stops memory games.
const maxArgsBytes = 1 << 20

// call is what a handler knows about the request besides its arguments.
type call struct {
	session *mcp.ServerSession
}

// runFunc handles one call with raw arguments that still need checking.
type runFunc func(ctx context.Context, s *server, c *call, args json.RawMessage, rs *jsonschema.Resolved) (string, error)

// toolDef pairs a tool's advertised form with its handler.
type toolDef struct {
	tool *mcp.Tool
	run  runFunc
}

// defineTool builds a toolDef whose handler receives arguments decoded
// into In after the checks in decodeArgs.
func defineTool[In any](t *mcp.Tool, h func(context.Context, *server, *call, *In) (string, error)) toolDef {
	return toolDef{tool: t, run: func(ctx context.Context, s *server, c *call, args json.RawMessage, rs *jsonschema.Resolved) (string, error) {
		in := new(In)
		if err := decodeArgs(args, rs, in); err != nil {
			return "", err
		}
		return h(ctx, s, c, in)
	}}
}

// Tools returns the tools the server offers, with their input schemas.
// Each call returns fresh values that the caller may modify.
func Tools() []*mcp.Tool {
	defs := toolDefs()
	out := make([]*mcp.Tool, len(defs))
	for i, d := range defs {
		out[i] = d.tool
	}
	return out
}

func (s *server) register(srv *mcp.Server) error {
	for _, d := range toolDefs() {
		schema, ok := d.tool.InputSchema.(*jsonschema.Schema)
		if !ok {
			return fmt.Errorf("git server: tool %s: input schema is %T", d.tool.Name, d.tool.InputSchema)
		}
		rs, err := schema.Resolve(&jsonschema.ResolveOptions{ValidateDefaults: true})
		if err != nil {
			return fmt.Errorf("git server: tool %s: input schema: %w", d.tool.Name, err)
		}
		srv.AddTool(d.tool, s.handler(d.tool.Name, d.run, rs))
	}
	return nil
}

// handler adapts a runFunc to the SDK. Every failure, including a panic,
// becomes a tool result with IsError set: the agent sees why, the session
// survives, and nothing is half-reported as success.
func (s *server) handler(name string, run runFunc, rs *jsonschema.Resolved) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("git tool panicked", "tool", name, "panic", r)
				res, err = errorResult(fmt.Errorf("%s: internal error", name)), nil
			}
		}()
		var args json.RawMessage
		if req != nil && req.Params != nil {
			args = req.Params.Arguments
		}
		c := &call{}
		if req != nil {
			c.session = req.Session
		}
		text, err := run(ctx, s, c, args, rs)
		if err != nil {
			s.log.Info("git tool call failed", "tool", name, "err", err)
			return errorResult(err), nil
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil
	}
}

func errorResult(err error) *mcp.CallToolResult {
	r := &mcp.CallToolResult{}
	r.SetError(err)
	return r
}

// decodeArgs checks raw arguments and decodes them into in. The checks are
// the strict parser (no duplicate keys, which two decoders could resolve
// differently; valid UTF-8; bounded size and depth), no NUL in any string
// (it cannot reach git's argv intact), the advertised schema, and finally
// a decode that refuses unknown fields, so a typo is an error rather than
// a silently ignored option.
func decodeArgs(raw json.RawMessage, rs *jsonschema.Resolved, in any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = json.RawMessage("{}")
	}
	v, err := jsondoc.Parse(raw, maxArgsBytes)
	if err != nil {
		return fmt.Errorf("arguments: %w", err)
	}
	if v.Kind != jsondoc.Object {
		return fmt.Errorf("arguments: got %s, want an object", v.Kind)
	}
	if err := noNUL(v); err != nil {
		return err
	}
	if err := rs.Validate(validationView(v.Interface())); err != nil {
		return fmt.Errorf("arguments: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return fmt.Errorf("arguments: %w", err)
	}
	return nil
}

func noNUL(v *jsondoc.Value) error {
	switch v.Kind {
	case jsondoc.String:
		if strings.IndexByte(v.Text, 0) >= 0 {
			return fmt.Errorf("arguments: %s contains a NUL character", v.Describe())
		}
	case jsondoc.Array:
		for _, it := range v.Items {
			if err := noNUL(it); err != nil {
				return err
			}
		}
	case jsondoc.Object:
		for _, m := range v.Members {
			if strings.IndexByte(m.Key, 0) >= 0 {
				return errors.New("arguments: a key contains a NUL character")
			}
			if err := noNUL(m.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// validationView converts json.Number to float64, the number type the
// schema validator understands. Integers beyond 2^53 lose precision here,
// but every integer argument is bounded well below that.
func validationView(v any) any {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return t.String()
		}
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = validationView(e)
		}
	case []any:
		for i, e := range t {
			t[i] = validationView(e)
		}
	}
	return v
}

// workingDir is the session's working directory, "" if none is set.
func (s *server) workingDir(c *call) string { return s.sessions.get(c.session) }

// repoAt resolves a path argument and opens the repository there.
func (s *server) repoAt(ctx context.Context, c *call, path string) (repo, error) {
	dir, err := s.resolvePath(path, s.workingDir(c))
	if err != nil {
		return repo{}, err
	}
	return s.openRepo(ctx, dir)
}
