package jsworker

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

// Descriptions come from MCP servers: they are cut so that help() stays
// readable and one chatty server cannot fill the agent's context.
const (
	maxSummary     = 160  // bytes of a description in a listing
	maxDescription = 4000 // bytes of a description shown for one tool
	maxArgNote     = 300  // bytes of one argument's description
)

// Help is the text help(topic) prints in the VM. An empty topic lists
// every tool with its signature and a one-line summary; "server" lists
// that server's tools with their descriptions; "server.tool" (full or
// short tool name) shows one tool with its whole description and
// arguments. An unknown topic says what exists instead.
func Help(tools []runnerproto.ToolSpec, topic string) string {
	ns, err := layout(tools)
	if err != nil {
		return "help is unavailable: " + err.Error() + "\n"
	}
	var b strings.Builder
	switch {
	case topic == "":
		if len(ns) == 0 {
			return "No tools are available.\n"
		}
		b.WriteString("Tools (each takes one object argument and returns the result; await is optional):\n")
		for _, n := range ns {
			for _, slot := range n.Tools {
				spec := find(tools, n.Server, slot.Tool)
				fmt.Fprintf(&b, "  %s\n", signature(spec, slot.display()))
				if s := summary(spec.Description); s != "" {
					fmt.Fprintf(&b, "      %s\n", s)
				}
			}
		}
		b.WriteString(`help("server") describes one server's tools, help("server.tool") one tool.` + "\n")
		return b.String()
	case serverIndex(ns, topic) >= 0:
		n := ns[serverIndex(ns, topic)]
		fmt.Fprintf(&b, "Tools of %s:\n", n.Server)
		for _, slot := range n.Tools {
			spec := find(tools, n.Server, slot.Tool)
			fmt.Fprintf(&b, "\n  %s\n", signature(spec, slot.display()))
			if d := cut(spec.Description, maxDescription); d != "" {
				b.WriteString(indent(d, "      "))
			}
		}
		return b.String()
	}
	if spec, slot, ok := lookupTool(tools, ns, topic); ok {
		b.WriteString(signature(spec, slot.display()) + "\n")
		if len(slot.Names) > 1 {
			fmt.Fprintf(&b, "(also callable as %s)\n", accessor(spec.Server, slot.Tool))
		}
		if d := cut(spec.Description, maxDescription); d != "" {
			b.WriteString("\n" + indent(d, ""))
		}
		if args := argumentNotes(spec.InputSchema); args != "" {
			b.WriteString("\nArguments:\n" + args)
		}
		return b.String()
	}
	servers := make([]string, len(ns))
	for i, n := range ns {
		servers[i] = n.Server
	}
	return fmt.Sprintf("No server or tool named %s. Servers: %s. Call help() for the list of tools.\n",
		quote(topic), strings.Join(servers, ", "))
}

// display is the name help shows: the short alias when there is one.
func (s toolSlot) display() string { return s.Names[len(s.Names)-1] }

func serverIndex(ns []namespace, name string) int {
	for i, n := range ns {
		if n.Server == name {
			return i
		}
	}
	return -1
}

func find(tools []runnerproto.ToolSpec, server, tool string) runnerproto.ToolSpec {
	for _, t := range tools {
		if t.Server == server && t.Name == tool {
			return t
		}
	}
	return runnerproto.ToolSpec{Server: server, Name: tool}
}

// lookupTool resolves "server.tool". Server names may themselves contain
// dots, so every split point is tried.
func lookupTool(tools []runnerproto.ToolSpec, ns []namespace, topic string) (runnerproto.ToolSpec, toolSlot, bool) {
	for i := 0; i < len(topic); i++ {
		if topic[i] != '.' {
			continue
		}
		k := serverIndex(ns, topic[:i])
		if k < 0 {
			continue
		}
		for _, slot := range ns[k].Tools {
			for _, name := range slot.Names {
				if name == topic[i+1:] {
					return find(tools, ns[k].Server, slot.Tool), slot, true
				}
			}
		}
	}
	return runnerproto.ToolSpec{}, toolSlot{}, false
}

// argumentNotes lists the top-level properties with their types and
// descriptions.
func argumentNotes(raw json.RawMessage) string {
	var schema struct {
		Properties map[string]any `json:"properties"`
		Required   []any          `json:"required"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &schema) != nil {
		return ""
	}
	required := map[string]bool{}
	for _, r := range schema.Required {
		if s, ok := r.(string); ok {
			required[s] = true
		}
	}
	names := make([]string, 0, len(schema.Properties))
	for name := range schema.Properties {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		if required[names[i]] != required[names[j]] {
			return required[names[i]]
		}
		return names[i] < names[j]
	})
	var b strings.Builder
	for i, name := range names {
		if i == maxProperties {
			b.WriteString("  …\n")
			break
		}
		prop := schema.Properties[name]
		typ := oneLine(tsType(prop, 2), maxArgNote)
		if required[name] {
			typ += ", required"
		}
		fmt.Fprintf(&b, "  %s (%s)", propertyName(name), typ)
		if m, ok := prop.(map[string]any); ok {
			if d, ok := m["description"].(string); ok && strings.TrimSpace(d) != "" {
				b.WriteString(": " + oneLine(strings.TrimSpace(d), maxArgNote))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// summary is the first line of a description, cut short.
func summary(d string) string {
	d = strings.TrimSpace(d)
	if i := strings.IndexAny(d, "\n"); i >= 0 {
		d = d[:i]
	}
	return oneLine(d, maxSummary)
}

// cut trims a description to max bytes on a line or rune boundary and
// drops control characters other than newlines.
func cut(d string, max int) string {
	d = strings.TrimSpace(d)
	lines := strings.Split(d, "\n")
	var b strings.Builder
	for _, l := range lines {
		l = oneLine(l, max)
		if b.Len()+len(l) > max {
			b.WriteString("…\n")
			break
		}
		b.WriteString(l + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func indent(text, prefix string) string {
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}
