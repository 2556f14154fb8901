package policy

import (
	"fmt"
	"io"
	"os"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
)

// MaxFileSize bounds every policy file; a larger one is refused rather than
// read into memory.
const MaxFileSize = 64 << 20

// Annotations holds every annotated tool, keyed by server and tool name.
type Annotations struct {
	tools map[toolKey]*ToolAnnotation
	order []*ToolAnnotation // file order, for listing
}

type toolKey struct{ server, tool string }

// ToolAnnotation is the roles of one tool's arguments.
type ToolAnnotation struct {
	Server  string
	Tool    string
	Comment string
	Args    []ArgAnnotation // in file order: order is significant
	// InputSchema is the tool's JSON Schema as the file gave it (may be nil).
	InputSchema *jsondoc.Value

	union roleSet // every role any argument may take
}

// ArgAnnotation is one argument's roles, possibly conditional on others.
type ArgAnnotation struct {
	Name    string
	Default []Role
	When    []When
	// SchemaDefault is the value the tool's input schema declares as the
	// argument's default (nil if none). An absent argument with a default
	// is judged — and forwarded — as if the call had passed it: the server
	// would act on that value.
	SchemaDefault any

	defaults roleSet
}

// When narrows an argument's roles when a condition on another argument holds.
type When struct {
	Arg   string
	Op    CondOp
	Value *jsondoc.Value   // for CondEquals
	In    []*jsondoc.Value // for CondIn
	Is    string           // for CondIs: present, absent, truthy, falsy
	Roles []Role

	set      roleSet
	condPath string // where the condition's arg was written, for errors
}

// CondOp is the kind of test a When applies.
type CondOp uint8

const (
	CondEquals CondOp = iota + 1
	CondIn
	CondIs
)

// Tools lists the annotated tools in file order.
func (a *Annotations) Tools() []*ToolAnnotation { return a.order }

// Lookup returns a tool's annotation, or nil.
func (a *Annotations) Lookup(server, tool string) *ToolAnnotation {
	return a.tools[toolKey{server, tool}]
}

// LoadAnnotations reads and validates a tool-annotations.json file.
func LoadAnnotations(path string) (*Annotations, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return ParseAnnotations(path, data)
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError names the file and the operation
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: not a regular file", path)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("read %s: %d bytes, larger than the limit of %d", path, st.Size(), MaxFileSize)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

func parseDoc(file string, data []byte) (*jsondoc.Value, error) {
	v, err := jsondoc.Parse(data, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return v, nil
}

// ParseAnnotations validates annotation data; file names it in errors.
func ParseAnnotations(file string, data []byte) (*Annotations, error) {
	root, err := parseDoc(file, data)
	if err != nil {
		return nil, err
	}
	c := &jsondoc.Checker{File: file}
	a := &Annotations{tools: make(map[toolKey]*ToolAnnotation)}
	if !c.Object(root, "generatedAt", "servers") {
		return nil, c.Err()
	}
	servers := c.Required(root, "servers")
	if servers != nil && c.Kind(servers, jsondoc.Object) {
		for _, sm := range servers.Members {
			parseServerAnnotations(c, a, sm.Key, sm.Value)
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return a, nil
}

func parseServerAnnotations(c *jsondoc.Checker, a *Annotations, server string, v *jsondoc.Value) {
	if server == "" {
		c.Errorf(v, "server name must not be empty")
	}
	if !c.Object(v, "inputHash", "tools") {
		return
	}
	tools := c.Required(v, "tools")
	if tools == nil {
		return
	}
	if tools.Kind != jsondoc.Array {
		c.Errorf(tools, "must be an array, not %s", tools.Kind)
		return
	}
	for _, tv := range tools.Items {
		t := parseTool(c, server, tv)
		if t == nil {
			continue
		}
		k := toolKey{server, t.Tool}
		if _, dup := a.tools[k]; dup {
			c.Errorf(tv, "duplicate annotation for tool %q", t.Tool)
			continue
		}
		a.tools[k] = t
		a.order = append(a.order, t)
	}
}

func parseTool(c *jsondoc.Checker, server string, v *jsondoc.Value) *ToolAnnotation {
	if !c.Object(v, "toolName", "serverName", "comment", "args", "inputSchema", "sideEffects") {
		return nil
	}
	before := len(c.Errs)
	t := &ToolAnnotation{Server: server}
	if n := c.Required(v, "toolName"); n != nil {
		t.Tool, _ = c.NonEmptyString(n)
	}
	if s := v.Get("serverName"); s != nil {
		if name, ok := c.String(s); ok && name != server {
			c.Errorf(s, "is %q but the tool is listed under server %q", name, server)
		}
	}
	if cm := v.Get("comment"); cm != nil {
		t.Comment, _ = c.String(cm)
	}
	if se := v.Get("sideEffects"); se != nil {
		c.Bool(se)
	}
	if is := v.Get("inputSchema"); is != nil {
		if is.Kind != jsondoc.Object {
			c.Errorf(is, "must be an object, not %s", is.Kind)
		}
		t.InputSchema = is
	}
	args := c.Required(v, "args")
	if args != nil {
		if args.Kind != jsondoc.Object {
			c.Errorf(args, "must be an object, not %s", args.Kind)
		} else {
			for _, m := range args.Members {
				t.Args = append(t.Args, parseArg(c, m.Key, m.Value))
			}
			checkConditions(c, t)
		}
	}
	if len(c.Errs) > before {
		return nil
	}
	if props := t.InputSchema.Get("properties"); props != nil {
		for i := range t.Args {
			if d := props.Get(t.Args[i].Name).Get("default"); d != nil && (d.Kind == jsondoc.String || d.Kind == jsondoc.Array) {
				t.Args[i].SchemaDefault = d.Interface()
			}
		}
	}
	for _, a := range t.Args {
		t.union |= a.defaults
		for _, w := range a.When {
			t.union |= w.set
		}
	}
	return t
}

func parseArg(c *jsondoc.Checker, name string, v *jsondoc.Value) ArgAnnotation {
	a := ArgAnnotation{Name: name}
	switch v.Kind {
	case jsondoc.Array:
		a.Default, a.defaults = parseRoles(c, v)
	case jsondoc.Object:
		if !c.Object(v, "default", "when") {
			return a
		}
		if d := c.Required(v, "default"); d != nil {
			a.Default, a.defaults = parseRoles(c, d)
		}
		if w := v.Get("when"); w != nil {
			if w.Kind != jsondoc.Array {
				c.Errorf(w, "must be an array, not %s", w.Kind)
				return a
			}
			for _, wv := range w.Items {
				// A clause may name roles its default lacks (the shipped
				// git_set_working_dir adds write-path when it initializes a
				// repository); the engine applies it as written. Only the
				// annotator insists that conditions narrow.
				if wh, ok := parseWhen(c, wv); ok {
					a.When = append(a.When, wh)
				}
			}
		}
	default:
		c.Errorf(v, "must be an array of roles or {default, when}, not %s", v.Kind)
	}
	checkCategories(c, v, a)
	return a
}

// checkCategories refuses an argument whose resource roles would need two
// different canonical forms (a path that is also a URL): the engine forwards
// one canonical value per argument.
func checkCategories(c *jsondoc.Checker, v *jsondoc.Value, a ArgAnnotation) {
	all := a.defaults
	for _, w := range a.When {
		all |= w.set
	}
	var cat Category
	for _, r := range all.roles() {
		if r.Category() == CatOpaque {
			continue
		}
		if cat != CatOpaque && r.Category() != cat {
			c.Errorf(v, "mixes roles of different kinds (%v); an argument is a path, a URL or an identifier, not several", all.roles())
			return
		}
		cat = r.Category()
	}
}

func parseRoles(c *jsondoc.Checker, v *jsondoc.Value) ([]Role, roleSet) {
	if v.Kind != jsondoc.Array {
		c.Errorf(v, "must be an array of roles, not %s", v.Kind)
		return nil, 0
	}
	if len(v.Items) == 0 {
		c.Errorf(v, "must list at least one role (use \"none\")")
	}
	var out []Role
	var set roleSet
	for _, it := range v.Items {
		s, ok := c.String(it)
		if !ok {
			continue
		}
		r, ok := ParseRole(s)
		if !ok {
			c.Errorf(it, "unknown role %q (known: %s)", s, RoleNames())
			continue
		}
		if !set.has(r) {
			out = append(out, r)
			set |= 1 << r
		}
	}
	return out, set
}

func parseWhen(c *jsondoc.Checker, v *jsondoc.Value) (When, bool) {
	var w When
	if !c.Object(v, "condition", "roles") {
		return w, false
	}
	before := len(c.Errs)
	if r := c.Required(v, "roles"); r != nil {
		w.Roles, w.set = parseRoles(c, r)
	}
	cond := c.Required(v, "condition")
	if cond == nil || !c.Object(cond, "arg", "equals", "in", "is") {
		return w, false
	}
	if a := c.Required(cond, "arg"); a != nil {
		w.Arg, _ = c.NonEmptyString(a)
		w.condPath = a.Path
	}
	ops := 0
	if e := cond.Get("equals"); e != nil {
		ops++
		w.Op, w.Value = CondEquals, e
		if e.Kind == jsondoc.Array || e.Kind == jsondoc.Object {
			c.Errorf(e, "must be a string, number, boolean or null")
		}
	}
	if in := cond.Get("in"); in != nil {
		ops++
		w.Op = CondIn
		if in.Kind != jsondoc.Array {
			c.Errorf(in, "must be an array, not %s", in.Kind)
		} else {
			w.In = in.Items
		}
	}
	if is := cond.Get("is"); is != nil {
		ops++
		w.Op = CondIs
		if s, ok := c.String(is); ok {
			switch s {
			case "present", "absent", "truthy", "falsy":
				w.Is = s
			default:
				c.Errorf(is, "must be one of present, absent, truthy, falsy, not %q", s)
			}
		}
	}
	if ops != 1 {
		c.Errorf(cond, "must have exactly one of equals, in, is (has %d)", ops)
	}
	return w, len(c.Errs) == before
}

// checkConditions makes sure every condition names an argument of the tool.
func checkConditions(c *jsondoc.Checker, t *ToolAnnotation) {
	names := make(map[string]bool, len(t.Args))
	for _, a := range t.Args {
		names[a.Name] = true
	}
	for _, a := range t.Args {
		for _, w := range a.When {
			if w.Arg != "" && !names[w.Arg] {
				c.ErrorAt(w.condPath, "names %q, which is not an argument of %s", w.Arg, t.Tool)
			}
		}
	}
}
