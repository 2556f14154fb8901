package filesystem

import (
	"context"
	"encoding/json"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// toolSpec is one tool: its advertised definition and its implementation.
type toolSpec struct {
	name, title, description string
	// schema is the input schema as advertised. Its shape (property names,
	// types, required, enums, defaults) matches the reference server's,
	// because compiled policies and the gateway's argument validation are
	// keyed on it.
	schema string
	// kind sets the behaviour hints clients show and the annotator reads.
	kind toolKind
	run  func(s *Server, ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error)
}

type toolKind uint8

const (
	readOnly toolKind = iota
	// additive changes: nothing existing is lost.
	additive
	// additiveIdempotent: additive, and repeating the call changes nothing.
	additiveIdempotent
	// destructive: may overwrite or remove existing content.
	destructive
	// destructiveIdempotent: destructive, but repeating the call changes
	// nothing further.
	destructiveIdempotent
)

func (t toolSpec) tool() *mcp.Tool {
	closed := false
	ann := &mcp.ToolAnnotations{Title: t.title, OpenWorldHint: &closed}
	switch t.kind {
	case readOnly:
		ann.ReadOnlyHint = true
	case additive, additiveIdempotent:
		ann.DestructiveHint = &closed
		ann.IdempotentHint = t.kind == additiveIdempotent
	case destructive, destructiveIdempotent:
		yes := true
		ann.DestructiveHint = &yes
		ann.IdempotentHint = t.kind == destructiveIdempotent
	}
	return &mcp.Tool{
		Name:        t.name,
		Title:       t.title,
		Description: t.description,
		InputSchema: json.RawMessage(t.schema),
		Annotations: ann,
	}
}

// Tools returns the definitions of every tool the server offers, freshly
// allocated, in the order they are registered.
func Tools() []*mcp.Tool {
	specs := toolSpecs()
	out := make([]*mcp.Tool, len(specs))
	for i, spec := range specs {
		out[i] = spec.tool()
	}
	return out
}

const (
	schemaPathOnly = `{"type":"object","properties":{"path":{"type":"string","description":"Absolute path inside an allowed directory (a relative path is taken relative to the first allowed directory)."}},"required":["path"],"$schema":"http://json-schema.org/draft-07/schema#"}`

	schemaReadText = `{"type":"object","properties":{` +
		`"path":{"type":"string","description":"File to read."},` +
		`"tail":{"type":"number","description":"Return only this many lines from the end of the file."},` +
		`"head":{"type":"number","description":"Return only this many lines from the start of the file."}},` +
		`"required":["path"],"$schema":"http://json-schema.org/draft-07/schema#"}`

	schemaReadMultiple = `{"type":"object","properties":{` +
		`"paths":{"type":"array","minItems":1,"items":{"type":"string"},"description":"Files to read, each inside an allowed directory."}},` +
		`"required":["paths"],"$schema":"http://json-schema.org/draft-07/schema#"}`

	schemaWrite = `{"type":"object","properties":{` +
		`"path":{"type":"string","description":"File to create or replace."},` +
		`"content":{"type":"string","description":"The complete new content of the file."}},` +
		`"required":["path","content"],"$schema":"http://json-schema.org/draft-07/schema#"}`

	schemaEdit = `{"type":"object","properties":{` +
		`"path":{"type":"string","description":"File to edit."},` +
		`"edits":{"type":"array","items":{"type":"object","properties":{` +
		`"oldText":{"type":"string","description":"Text to find; it must occur in the file (line indentation may differ)."},` +
		`"newText":{"type":"string","description":"Text to put in its place."}},` +
		`"required":["oldText","newText"]}},` +
		`"dryRun":{"type":"boolean","default":false,"description":"Only show the diff; do not change the file."}},` +
		`"required":["path","edits"],"$schema":"http://json-schema.org/draft-07/schema#"}`

	schemaListSizes = `{"type":"object","properties":{` +
		`"path":{"type":"string","description":"Directory to list."},` +
		`"sortBy":{"type":"string","enum":["name","size"],"default":"name","description":"Order entries by name or by size, largest first."}},` +
		`"required":["path"],"$schema":"http://json-schema.org/draft-07/schema#"}`

	schemaTree = `{"type":"object","properties":{` +
		`"path":{"type":"string","description":"Directory at the top of the tree."},` +
		`"excludePatterns":{"type":"array","items":{"type":"string"},"default":[],"description":"Glob patterns; matching entries (and everything under matching directories) are left out."}},` +
		`"required":["path"],"$schema":"http://json-schema.org/draft-07/schema#"}`

	schemaMove = `{"type":"object","properties":{` +
		`"source":{"type":"string","description":"File or directory to move."},` +
		`"destination":{"type":"string","description":"New path; it must not exist yet."}},` +
		`"required":["source","destination"],"$schema":"http://json-schema.org/draft-07/schema#"}`

	schemaSearch = `{"type":"object","properties":{` +
		`"path":{"type":"string","description":"Directory to search under."},` +
		`"pattern":{"type":"string","description":"Glob for entry names (for example *.go), or for paths relative to the search directory if it contains a slash (for example src/**/*_test.go). Without glob characters it matches names containing it, ignoring case."},` +
		`"excludePatterns":{"type":"array","items":{"type":"string"},"default":[],"description":"Glob patterns; matching entries (and everything under matching directories) are skipped."}},` +
		`"required":["path","pattern"],"$schema":"http://json-schema.org/draft-07/schema#"}`

	schemaNone = `{"type":"object","properties":{},"$schema":"http://json-schema.org/draft-07/schema#"}`
)

// toolSpecs lists every tool. The descriptions are written for the model
// that will call the tools: what it gets back and what it must know to
// avoid a failed call.
func toolSpecs() []toolSpec {
	return []toolSpec{
		{
			name: "read_file", title: "Read file (deprecated)",
			description: "Same as read_text_file, kept for older callers; prefer read_text_file.",
			schema:      schemaReadText, kind: readOnly, run: (*Server).readTextFile,
		},
		{
			name: "read_text_file", title: "Read text file",
			description: "Return a file's content as UTF-8 text, whatever its extension. " +
				"Give head to get only the first N lines or tail for only the last N lines (not both). " +
				"Files over 10 MiB are refused unless head or tail is given.",
			schema: schemaReadText, kind: readOnly, run: (*Server).readTextFile,
		},
		{
			name: "read_media_file", title: "Read media file",
			description: "Return an image or audio file as base64 data with its MIME type, chosen from the file extension. " +
				"Other files come back as a binary resource. Files over 10 MiB are refused.",
			schema: schemaPathOnly, kind: readOnly, run: (*Server).readMediaFile,
		},
		{
			name: "read_multiple_files", title: "Read multiple files",
			description: "Read several text files in one call. Each file appears as its path, a colon and its content; " +
				"entries are separated by a line holding ---. A file that cannot be read shows its error instead and does not fail the call.",
			schema: schemaReadMultiple, kind: readOnly, run: (*Server).readMultipleFiles,
		},
		{
			name: "write_file", title: "Write file",
			description: "Create a file, or replace an existing file's whole content, with the given text. " +
				"The parent directory must exist. An existing file is replaced without warning; its permissions are kept.",
			schema: schemaWrite, kind: destructiveIdempotent, run: (*Server).writeFile,
		},
		{
			name: "edit_file", title: "Edit file",
			description: "Apply text replacements to a file, in order, and return a unified diff of the result. " +
				"Each oldText must occur in the file as it is after the previous edits; the first occurrence is replaced. " +
				"If it does not occur exactly, a run of whole lines equal to it apart from indentation is replaced, keeping the file's indentation. " +
				"With dryRun the diff is returned and the file is left unchanged.",
			schema: schemaEdit, kind: destructive, run: (*Server).editFile,
		},
		{
			name: "create_directory", title: "Create directory",
			description: "Create a directory and any missing parents. Succeeds without change if it already exists.",
			schema:      schemaPathOnly, kind: additiveIdempotent, run: (*Server).createDirectory,
		},
		{
			name: "list_directory", title: "List directory",
			description: "List a directory's entries by name, one per line, each marked [DIR] or [FILE] (symlinks and other entries are [FILE]).",
			schema:      schemaPathOnly, kind: readOnly, run: (*Server).listDirectory,
		},
		{
			name: "list_directory_with_sizes", title: "List directory with sizes",
			description: "List a directory's entries marked [DIR] or [FILE] with the size of each file, " +
				"followed by the number of files and directories and their combined size.",
			schema: schemaListSizes, kind: readOnly, run: (*Server).listDirectoryWithSizes,
		},
		{
			name: "directory_tree", title: "Directory tree",
			description: "Return the tree under a directory as JSON: a list of {name, type} objects, type being file or directory; " +
				"directories also carry a children list. Symlinks are not followed.",
			schema: schemaTree, kind: readOnly, run: (*Server).directoryTree,
		},
		{
			name: "move_file", title: "Move or rename",
			description: "Move or rename a file or directory. Fails if the destination exists. " +
				"Between two different allowed directories only regular files can be moved.",
			schema: schemaMove, kind: additive, run: (*Server).moveFile,
		},
		{
			name: "search_files", title: "Search files",
			description: "Search a directory recursively and return the full path of every file or directory whose name matches the pattern, one per line. " +
				"Symlinked directories are not entered.",
			schema: schemaSearch, kind: readOnly, run: (*Server).searchFiles,
		},
		{
			name: "get_file_info", title: "Get file info",
			description: "Return a file's or directory's metadata, one key: value per line: size, created, modified, accessed (RFC 3339, UTC), " +
				"isDirectory, isFile and permissions (octal).",
			schema: schemaPathOnly, kind: readOnly, run: (*Server).getFileInfo,
		},
		{
			name: "list_allowed_directories", title: "List allowed directories",
			description: "Return the directories this server may access, one per line. Everything beneath them is accessible too.",
			schema:      schemaNone, kind: readOnly, run: (*Server).listAllowedDirectories,
		},
	}
}
