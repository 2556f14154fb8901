package config

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// MaxServersFile bounds mcp-servers.json.
const MaxServersFile = 4 << 20

// Server is one MCP server's configuration.
type Server struct {
	Name        string
	Description string
	Command     string            // stdio servers
	Args        []string          // stdio servers
	Env         map[string]string // only these variables (plus PATH, HOME, LANG) reach the server
	URL         string            // streamable HTTP servers
	// AllowedDomains is sandbox.network.allowedDomains; nil means the
	// server has no domain gate.
	AllowedDomains []string
	// DenyRead is sandbox.filesystem.denyRead, accepted for compatibility
	// with the TypeScript format. It is not enforced until servers run in an
	// OS cage (docs/SECURITY.md, known gaps).
	DenyRead []string
	// Sandboxed is false when the file says "sandbox": false.
	Sandboxed bool
}

// Servers is the parsed mcp-servers.json, sorted by name.
type Servers []Server

// DomainAllowlists returns the per-server domain gates for the policy engine.
func (s Servers) DomainAllowlists() map[string][]string {
	out := make(map[string][]string)
	for _, sv := range s {
		if sv.AllowedDomains != nil {
			out[sv.Name] = sv.AllowedDomains
		}
	}
	return out
}

// LoadServers reads mcp-servers.json.
func LoadServers(path string) (Servers, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return ParseServers(path, data)
}

// ParseServers accepts both the TypeScript IronCurtain format (server name
// → settings at the top level) and the common MCP client format
// ({"mcpServers": {...}}).
func ParseServers(file string, data []byte) (Servers, error) {
	root, err := jsondoc.Parse(data, MaxServersFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	c := &jsondoc.Checker{File: file}
	if !c.Kind(root, jsondoc.Object) {
		return nil, c.Err()
	}
	table := root
	if ms := root.Get("mcpServers"); ms != nil {
		c.Object(root, "mcpServers")
		if !c.Kind(ms, jsondoc.Object) {
			return nil, c.Err()
		}
		table = ms
	}
	var out Servers
	for _, m := range table.Members {
		if strings.HasPrefix(m.Key, "_") {
			continue // comments, as the TypeScript format uses them
		}
		if m.Key == "" || strings.ContainsAny(m.Key, "/\\\x00") || strings.Contains(m.Key, "__") {
			// "__" joins server and tool in the names the gateway offers.
			c.Errorf(m.Value, "server name %q is not a usable name (no /, \\, NUL or __)", m.Key)
			continue
		}
		if s, ok := parseServer(c, m.Key, m.Value); ok {
			out = append(out, s)
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func parseServer(c *jsondoc.Checker, name string, v *jsondoc.Value) (Server, bool) {
	s := Server{Name: name, Sandboxed: true}
	if v.Kind != jsondoc.Object {
		c.Errorf(v, "must be an object, not %s", v.Kind)
		return s, false
	}
	before := len(c.Errs)
	allowed := []string{"command", "args", "env", "description", "sandbox", "url", "type", "transport", "headers", "cwd"}
	for _, m := range v.Members {
		if strings.HasPrefix(m.Key, "_") {
			continue
		}
		known := false
		for _, a := range allowed {
			known = known || a == m.Key
		}
		if !known {
			c.Errorf(m.Value, "unknown field (expected one of: %s)", strings.Join(allowed, ", "))
		}
	}
	if d := v.Get("description"); d != nil {
		s.Description, _ = c.String(d)
	}
	if cmd := v.Get("command"); cmd != nil {
		s.Command, _ = c.NonEmptyString(cmd)
	}
	if a := v.Get("args"); a != nil {
		s.Args, _ = c.Strings(a)
	}
	if u := v.Get("url"); u != nil {
		s.URL, _ = c.NonEmptyString(u)
	}
	if s.Command == "" && s.URL == "" && len(c.Errs) == before {
		c.Errorf(v, "needs a command (stdio) or a url (streamable HTTP)")
	}
	if e := v.Get("env"); e != nil && c.Kind(e, jsondoc.Object) {
		s.Env = make(map[string]string, len(e.Members))
		for _, m := range e.Members {
			if val, ok := c.String(m.Value); ok {
				s.Env[m.Key] = val
			}
		}
	}
	if sb := v.Get("sandbox"); sb != nil {
		parseSandbox(c, sb, &s)
	}
	return s, len(c.Errs) == before
}

func parseSandbox(c *jsondoc.Checker, v *jsondoc.Value, s *Server) {
	if v.Kind == jsondoc.Bool {
		s.Sandboxed = v.Bool
		return
	}
	if !c.Object(v, "filesystem", "network") {
		return
	}
	// Only what is enforced is accepted: a setting that is read and then
	// ignored would let the user believe in a restriction that is not there.
	if fs := v.Get("filesystem"); fs != nil && c.Object(fs, "denyRead") {
		if dr := fs.Get("denyRead"); dr != nil {
			s.DenyRead, _ = c.Strings(dr)
		}
	}
	if nw := v.Get("network"); nw != nil {
		if nw.Kind == jsondoc.Bool {
			if !nw.Bool {
				s.AllowedDomains = []string{} // no network: a gate that admits nothing
			}
			return
		}
		if c.Object(nw, "allowedDomains") {
			if ad := nw.Get("allowedDomains"); ad != nil {
				if ds, ok := c.Strings(ad); ok {
					for i, d := range ds {
						if _, err := resource.ParsePattern(d); err != nil {
							c.Errorf(ad.Items[i], "%v", err)
							ok = false
						}
					}
					if ok {
						s.AllowedDomains = ds
					}
				}
			}
		}
	}
}
