package jsworker

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// namespace is how one server's tools appear in the VM: a frozen object
// on the global object, named after the server, with one function per
// tool under its full name and, for a tool named "<server>_x", also "x".
type namespace struct {
	Server string     `json:"server"`
	Tools  []toolSlot `json:"tools"`
}

type toolSlot struct {
	Tool  string   `json:"tool"`  // the MCP tool name, sent in ToolCall
	Names []string `json:"names"` // property names in the namespace
	Label string   `json:"label"` // how error messages name it
}

// layout groups the tools by server, in the order the servers first
// appear, and picks each tool's property names. A short alias is dropped
// when it would shadow another tool's full name. Duplicate tools and names
// the VM cannot hold are errors: the parent sent a broken tool list.
func layout(tools []runnerproto.ToolSpec) ([]namespace, error) {
	out := []namespace{}
	index := map[string]int{}
	full := map[[2]string]bool{}
	for _, t := range tools {
		if err := checkName("server", t.Server); err != nil {
			return nil, err
		}
		if err := checkName("tool", t.Name); err != nil {
			return nil, err
		}
		key := [2]string{t.Server, t.Name}
		if full[key] {
			return nil, fmt.Errorf("tool %s.%s is listed twice", t.Server, t.Name)
		}
		full[key] = true
		if _, ok := index[t.Server]; !ok {
			index[t.Server] = len(out)
			out = append(out, namespace{Server: t.Server})
		}
	}
	for _, t := range tools {
		ns := &out[index[t.Server]]
		slot := toolSlot{Tool: t.Name, Names: []string{t.Name}}
		if alias, ok := shortName(t.Server, t.Name); ok && !full[[2]string{t.Server, alias}] {
			slot.Names = append(slot.Names, alias)
		}
		slot.Label = accessor(t.Server, slot.display())
		ns.Tools = append(ns.Tools, slot)
	}
	return out, nil
}

// shortName strips a leading "<server>_" from a tool name when what is
// left is a usable identifier.
func shortName(server, tool string) (string, bool) {
	rest, ok := strings.CutPrefix(tool, server+"_")
	if !ok || !isIdentifier(rest) {
		return "", false
	}
	return rest, true
}

// maxName bounds server and tool names; MCP names are short, and a longer
// one only makes help output and error messages unreadable.
const maxName = 128

func checkName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty %s name", what)
	case !utf8.ValidString(name):
		return fmt.Errorf("%s name is not valid UTF-8", what)
	case len(name) > maxName:
		return fmt.Errorf("%s name of %d bytes is longer than %d", what, len(name), maxName)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return fmt.Errorf("%s name %q has a control or invalid character", what, name)
		}
	}
	return nil
}

// accessor is how JavaScript reaches server.tool: dotted when both are
// identifiers, bracketed otherwise.
func accessor(server, tool string) string {
	var b strings.Builder
	if isIdentifier(server) && !isReserved(server) {
		b.WriteString(server)
	} else {
		b.WriteString("globalThis[")
		b.WriteString(quote(server))
		b.WriteString("]")
	}
	if isIdentifier(tool) {
		b.WriteString(".")
		b.WriteString(tool)
	} else {
		b.WriteString("[")
		b.WriteString(quote(tool))
		b.WriteString("]")
	}
	return b.String()
}

func quote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		return `""`
	}
	return string(b)
}

// isIdentifier reports whether s is an ASCII JavaScript identifier. Names
// outside ASCII are reached with brackets, which always works.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		case i > 0 && c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return true
}

// isReserved reports the words that cannot name a global binding, so a
// server called "delete" is reached as globalThis["delete"]; as property
// names after a dot they are fine.
func isReserved(s string) bool {
	switch s {
	case "await", "break", "case", "catch", "class", "const", "continue",
		"debugger", "default", "delete", "do", "else", "enum", "export",
		"extends", "false", "finally", "for", "function", "if", "implements",
		"import", "in", "instanceof", "interface", "let", "new", "null",
		"package", "private", "protected", "public", "return", "static",
		"super", "switch", "this", "throw", "true", "try", "typeof", "var",
		"void", "while", "with", "yield":
		return true
	}
	return false
}

// CheckTools reports what makes a tool list unusable in the VM: empty,
// overlong or control-character names and tools listed twice. Run
// reports the same problems as a failed execution.
func CheckTools(tools []runnerproto.ToolSpec) error {
	_, err := layout(tools)
	return err
}
