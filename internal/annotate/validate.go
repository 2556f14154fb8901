package annotate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
	"github.com/ironcurtain/ironcurtain-go/internal/llm"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// toolEntry is one validated annotation, ready to be written.
type toolEntry struct {
	Server, Tool, Comment string
	Args                  []argEntry // in schema property order
	Schema                json.RawMessage
}

type argEntry struct {
	Name    string
	Default []string
	When    []whenEntry
}

type whenEntry struct {
	Arg   string
	Op    string          // "equals", "in" or "is"
	Value json.RawMessage // the operand as the model wrote it
	Roles []string
}

// ParseAnswer checks the shape of a submit_annotations call and returns its
// tool entries keyed by "server/tool". It does not judge the annotations
// themselves: that needs each tool's schema (see validateEntry).
func ParseAnswer(input []byte) (map[string]*jsondoc.Value, error) {
	root, err := jsondoc.Parse(input, llm.MaxResponseBytes)
	if err != nil {
		return nil, fmt.Errorf("answer: %w", err)
	}
	if root.Kind == jsondoc.String {
		return nil, errors.New("answer: the tool arguments are not a JSON object")
	}
	c := &jsondoc.Checker{File: "answer"}
	if !c.Object(root, "tools") {
		return nil, c.Err()
	}
	tools := c.Required(root, "tools")
	if tools == nil || !c.Kind(tools, jsondoc.Array) {
		return nil, c.Err()
	}
	out := make(map[string]*jsondoc.Value, len(tools.Items))
	for _, t := range tools.Items {
		if !c.Object(t, "server", "tool", "comment", "args") {
			continue
		}
		var server, tool string
		if v := c.Required(t, "server"); v != nil {
			server, _ = c.NonEmptyString(v)
		}
		if v := c.Required(t, "tool"); v != nil {
			tool, _ = c.NonEmptyString(v)
		}
		if server == "" || tool == "" {
			continue
		}
		key := server + "/" + tool
		if _, dup := out[key]; dup {
			c.Errorf(t, "tool %s is answered twice", key)
			continue
		}
		out[key] = t
	}
	if len(c.Errs) > 0 {
		return out, c.Err()
	}
	return out, nil
}

// validateEntry judges one tool's answer against the tool's schema and
// returns the entry, or every problem found.
func validateEntry(p *pending, v *jsondoc.Value) (*toolEntry, []string) {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	e := &toolEntry{Server: p.info.Server, Tool: p.info.Name, Schema: p.schema}
	if cm := v.Get("comment"); cm != nil {
		if cm.Kind != jsondoc.String {
			bad("comment must be a string")
		} else {
			e.Comment = cm.Text
		}
	}
	args := v.Get("args")
	if args == nil || args.Kind != jsondoc.Object {
		return nil, []string{"args must be an object with one entry per schema property"}
	}
	for _, m := range args.Members {
		if !slices.Contains(p.props, m.Key) {
			bad("args.%s: not a property of the tool's input schema", m.Key)
		}
	}
	for _, name := range p.props {
		av := args.Get(name)
		if av == nil {
			bad("args.%s: missing; every schema property needs roles (use [\"none\"])", name)
			continue
		}
		a, aerrs := validateArg(p, name, av)
		errs = append(errs, aerrs...)
		e.Args = append(e.Args, a)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	// The engine's own loader has checks of its own (roles of different
	// kinds on one argument); an entry it would refuse is refused here.
	doc, err := renderFile("", map[string]*serverOut{e.Server: {Tools: []json.RawMessage{e.render()}}})
	if err == nil {
		_, err = policy.ParseAnnotations("annotation", doc)
	}
	if err != nil {
		return nil, []string{err.Error()}
	}
	return e, nil
}

func validateArg(p *pending, name string, v *jsondoc.Value) (argEntry, []string) {
	a := argEntry{Name: name}
	var errs []string
	where := "args." + name
	switch v.Kind {
	case jsondoc.Array:
		a.Default, errs = roles(where, v)
		return a, errs
	case jsondoc.Object:
	default:
		return a, []string{fmt.Sprintf("%s: must be a list of roles or {default, when}, not %s", where, v.Kind)}
	}
	for _, m := range v.Members {
		if m.Key != "default" && m.Key != "when" {
			errs = append(errs, fmt.Sprintf("%s.%s: unknown field (expected default, when)", where, m.Key))
		}
	}
	d := v.Get("default")
	if d == nil {
		return a, append(errs, where+".default: missing")
	}
	var derrs []string
	a.Default, derrs = roles(where+".default", d)
	errs = append(errs, derrs...)
	w := v.Get("when")
	if w == nil {
		return a, errs
	}
	if w.Kind != jsondoc.Array {
		return a, append(errs, where+".when: must be an array")
	}
	for i, wv := range w.Items {
		we, werrs := validateWhen(p, name, fmt.Sprintf("%s.when[%d]", where, i), wv, a.Default)
		errs = append(errs, werrs...)
		a.When = append(a.When, we)
	}
	return a, errs
}

func validateWhen(p *pending, self, where string, v *jsondoc.Value, def []string) (whenEntry, []string) {
	var we whenEntry
	var errs []string
	if v.Kind != jsondoc.Object {
		return we, []string{where + ": must be an object {condition, roles}"}
	}
	for _, m := range v.Members {
		if m.Key != "condition" && m.Key != "roles" {
			errs = append(errs, fmt.Sprintf("%s.%s: unknown field (expected condition, roles)", where, m.Key))
		}
	}
	if r := v.Get("roles"); r == nil {
		errs = append(errs, where+".roles: missing")
	} else {
		var rerrs []string
		we.Roles, rerrs = roles(where+".roles", r)
		errs = append(errs, rerrs...)
		for _, role := range we.Roles {
			if role != "none" && !slices.Contains(def, role) {
				errs = append(errs, fmt.Sprintf("%s.roles: %q is not in default %v; a condition may only narrow the default", where, role, def))
			}
		}
	}
	cond := v.Get("condition")
	if cond == nil || cond.Kind != jsondoc.Object {
		return we, append(errs, where+".condition: must be an object {arg, equals|in|is}")
	}
	ops := 0
	for _, m := range cond.Members {
		switch m.Key {
		case "arg":
			if m.Value.Kind != jsondoc.String {
				errs = append(errs, where+".condition.arg: must be a string")
				continue
			}
			we.Arg = m.Value.Text
			switch {
			case we.Arg == self:
				errs = append(errs, fmt.Sprintf("%s.condition.arg: %q is the argument itself; name another argument", where, we.Arg))
			case !slices.Contains(p.props, we.Arg):
				errs = append(errs, fmt.Sprintf("%s.condition.arg: %q is not an argument of the tool", where, we.Arg))
			}
		case "equals", "in", "is":
			ops++
			we.Op, we.Value = m.Key, encode(m.Value)
			if err := checkOperand(m.Key, m.Value); err != "" {
				errs = append(errs, fmt.Sprintf("%s.condition.%s: %s", where, m.Key, err))
			}
		default:
			errs = append(errs, fmt.Sprintf("%s.condition.%s: unknown field (expected arg, equals, in, is)", where, m.Key))
		}
	}
	if we.Arg == "" && cond.Get("arg") == nil {
		errs = append(errs, where+".condition.arg: missing")
	}
	if ops != 1 {
		errs = append(errs, fmt.Sprintf("%s.condition: needs exactly one of equals, in, is (has %d)", where, ops))
	}
	return we, errs
}

func checkOperand(op string, v *jsondoc.Value) string {
	scalar := func(x *jsondoc.Value) bool { return x.Kind != jsondoc.Array && x.Kind != jsondoc.Object }
	switch op {
	case "equals":
		if !scalar(v) {
			return "must be a string, number, boolean or null"
		}
	case "in":
		if v.Kind != jsondoc.Array || len(v.Items) == 0 {
			return "must be a non-empty array"
		}
		for _, it := range v.Items {
			if !scalar(it) {
				return "must hold only strings, numbers, booleans or nulls"
			}
		}
	case "is":
		if v.Kind != jsondoc.String || !slices.Contains([]string{"present", "absent", "truthy", "falsy"}, v.Text) {
			return "must be one of present, absent, truthy, falsy"
		}
	}
	return ""
}

func roles(where string, v *jsondoc.Value) ([]string, []string) {
	if v.Kind != jsondoc.Array {
		return nil, []string{fmt.Sprintf("%s: must be an array of roles, not %s", where, v.Kind)}
	}
	if len(v.Items) == 0 {
		return nil, []string{where + ": empty; an argument that names no resource is [\"none\"]"}
	}
	var out, errs []string
	for i, it := range v.Items {
		if it.Kind != jsondoc.String {
			errs = append(errs, fmt.Sprintf("%s[%d]: must be a role name", where, i))
			continue
		}
		if _, ok := policy.ParseRole(it.Text); !ok {
			errs = append(errs, fmt.Sprintf("%s[%d]: unknown role %q", where, i, it.Text))
			continue
		}
		if !slices.Contains(out, it.Text) {
			out = append(out, it.Text)
		}
	}
	return out, errs
}

// render writes the entry in the annotations file's format.
func (e *toolEntry) render() json.RawMessage {
	var b bytes.Buffer
	b.WriteString(`{"toolName":`)
	b.Write(mustJSON(e.Tool))
	b.WriteString(`,"serverName":`)
	b.Write(mustJSON(e.Server))
	b.WriteString(`,"comment":`)
	b.Write(mustJSON(e.Comment))
	b.WriteString(`,"args":{`)
	for i, a := range e.Args {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(mustJSON(a.Name))
		b.WriteByte(':')
		if len(a.When) == 0 {
			b.Write(mustJSON(a.Default))
			continue
		}
		b.WriteString(`{"default":`)
		b.Write(mustJSON(a.Default))
		b.WriteString(`,"when":[`)
		for j, w := range a.When {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"condition":{"arg":`)
			b.Write(mustJSON(w.Arg))
			fmt.Fprintf(&b, `,%q:`, w.Op)
			b.Write(w.Value)
			b.WriteString(`},"roles":`)
			b.Write(mustJSON(w.Roles))
			b.WriteByte('}')
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`},"inputSchema":`)
	b.Write(e.Schema)
	b.WriteByte('}')
	return b.Bytes()
}

// mustJSON marshals strings and string slices, which cannot fail.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// encode writes a parsed value back as JSON, keeping member order (which
// encoding/json's maps would lose).
func encode(v *jsondoc.Value) json.RawMessage {
	var b bytes.Buffer
	encodeTo(&b, v)
	return b.Bytes()
}

func encodeTo(b *bytes.Buffer, v *jsondoc.Value) {
	switch v.Kind {
	case jsondoc.Null:
		b.WriteString("null")
	case jsondoc.Bool:
		b.WriteString(fmt.Sprint(v.Bool))
	case jsondoc.Number:
		b.WriteString(v.Text)
	case jsondoc.String:
		b.Write(mustJSON(v.Text))
	case jsondoc.Array:
		b.WriteByte('[')
		for i, it := range v.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeTo(b, it)
		}
		b.WriteByte(']')
	case jsondoc.Object:
		b.WriteByte('{')
		for i, m := range v.Members {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(mustJSON(m.Key))
			b.WriteByte(':')
			encodeTo(b, m.Value)
		}
		b.WriteByte('}')
	}
}
