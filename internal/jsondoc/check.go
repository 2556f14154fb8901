package jsondoc

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem found in a document: which file, where in it, what.
type Error struct {
	File string // as the caller named it
	Path string // JSON path; "" is the root
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.File + ": " + e.Msg
	}
	return e.File + ": " + e.Path + ": " + e.Msg
}

// Errors is every problem found in one load, sorted by file then path.
type Errors []*Error

// Error joins the problems on one line so a command can print it as its
// single-line reason; at most five are spelled out.
func (es Errors) Error() string {
	const show = 5
	var b strings.Builder
	for i, e := range es {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(es)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Checker walks a parsed document against an expected shape and collects
// every problem rather than stopping at the first.
type Checker struct {
	File string
	Errs Errors
}

// Errorf records a problem at v's path.
func (c *Checker) Errorf(v *Value, format string, args ...any) {
	path := ""
	if v != nil {
		path = v.Path
	}
	c.Errs = append(c.Errs, &Error{File: c.File, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// ErrorAt records a problem at an explicit path (for members that are absent).
func (c *Checker) ErrorAt(path, format string, args ...any) {
	c.Errs = append(c.Errs, &Error{File: c.File, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Err returns the collected problems, sorted, or nil.
func (c *Checker) Err() error {
	if len(c.Errs) == 0 {
		return nil
	}
	sort.SliceStable(c.Errs, func(i, j int) bool {
		if c.Errs[i].File != c.Errs[j].File {
			return c.Errs[i].File < c.Errs[j].File
		}
		return c.Errs[i].Path < c.Errs[j].Path
	})
	return c.Errs
}

// Object checks that v is an object whose keys are all in allowed. Unknown
// keys are errors: in a policy file a misspelt condition ("path" for
// "paths") would otherwise widen a rule silently.
func (c *Checker) Object(v *Value, allowed ...string) bool {
	if v.Kind != Object {
		c.Errorf(v, "must be an object, not %s", v.Kind)
		return false
	}
	for _, m := range v.Members {
		known := false
		for _, a := range allowed {
			if m.Key == a {
				known = true
				break
			}
		}
		if !known {
			c.Errorf(m.Value, "unknown field (expected one of: %s)", strings.Join(allowed, ", "))
		}
	}
	return true
}

// Kind checks that v has kind k.
func (c *Checker) Kind(v *Value, k Kind) bool {
	if v.Kind != k {
		c.Errorf(v, "must be %s %s, not %s", article(k), k, v.Kind)
		return false
	}
	return true
}

func article(k Kind) string {
	if k == Array || k == Object {
		return "an"
	}
	return "a"
}

// Required returns member key of obj, recording an error when it is absent.
func (c *Checker) Required(obj *Value, key string) *Value {
	v := obj.Get(key)
	if v == nil {
		c.ErrorAt(childKey(obj.Path, key), "is required")
	}
	return v
}

// String checks that v is a string.
func (c *Checker) String(v *Value) (string, bool) {
	if v.Kind != String {
		c.Errorf(v, "must be a string, not %s", v.Kind)
		return "", false
	}
	return v.Text, true
}

// NonEmptyString checks that v is a non-empty string.
func (c *Checker) NonEmptyString(v *Value) (string, bool) {
	s, ok := c.String(v)
	if ok && strings.TrimSpace(s) == "" {
		c.Errorf(v, "must not be empty")
		return "", false
	}
	return s, ok
}

// Strings checks that v is an array of strings.
func (c *Checker) Strings(v *Value) ([]string, bool) {
	if v.Kind != Array {
		c.Errorf(v, "must be an array of strings, not %s", v.Kind)
		return nil, false
	}
	out := make([]string, 0, len(v.Items))
	ok := true
	for _, it := range v.Items {
		s, good := c.String(it)
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

// Bool checks that v is a boolean.
func (c *Checker) Bool(v *Value) (bool, bool) {
	if v.Kind != Bool {
		c.Errorf(v, "must be true or false, not %s", v.Kind)
		return false, false
	}
	return v.Bool, true
}
