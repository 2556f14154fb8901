package policy

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// Policy is a loaded compiled-policy.json with its @list references
// expanded from dynamic-lists.json.
type Policy struct {
	Rules []Rule
	// Warnings are problems that do not stop the policy from loading but
	// that a person should see (a @list reference with no such list).
	Warnings []string
}

// Rule is one compiled rule. Rules are evaluated in order; first match wins.
type Rule struct {
	Name        string
	Description string
	Principle   string
	If          Condition
	Then        Verdict
	Reason      string
}

// Condition is a rule's `if`. Absent parts do not constrain; present parts
// must all hold.
type Condition struct {
	Roles   []Role // tool has some argument with one of these roles; nil = absent
	Server  []string
	Tool    []string
	Paths   *PathCondition
	Domains *DomainCondition
	Lists   []ListCondition
}

// PathCondition holds when every path value of Roles lies within Within
// and, if Names is given, has a base name matching one of its patterns.
type PathCondition struct {
	Roles  []Role
	Within string // absolute, or starting with "~/"; canonicalized by the engine
	// Names are path.Match patterns for the last element (".env",
	// ".env.*"): an extension of the TypeScript format, for rules about a
	// kind of file wherever it lies.
	Names []string
}

// DomainCondition holds when every URL value of Roles matches Allowed.
type DomainCondition struct {
	Roles   []Role
	Allowed []string // patterns, @lists already expanded
}

// ListCondition holds when every value of Roles matches Allowed.
type ListCondition struct {
	Roles     []Role
	Allowed   []string
	MatchType MatchType
}

// MatchType selects how a list condition compares values.
type MatchType uint8

const (
	MatchDomains MatchType = iota + 1
	MatchEmails
	MatchIdentifiers
)

func (m MatchType) String() string {
	switch m {
	case MatchDomains:
		return "domains"
	case MatchEmails:
		return "emails"
	case MatchIdentifiers:
		return "identifiers"
	}
	return "unknown"
}

// LoadPolicy reads compiled-policy.json and, when listsPath is not empty,
// dynamic-lists.json. Nothing is returned unless both load cleanly.
func LoadPolicy(policyPath, listsPath string) (*Policy, error) {
	data, err := readFile(policyPath)
	if err != nil {
		return nil, err
	}
	var lists map[string]list
	if listsPath != "" {
		ld, err := readFile(listsPath)
		if err != nil {
			return nil, err
		}
		if lists, err = parseLists(listsPath, ld); err != nil {
			return nil, err
		}
	}
	return parsePolicy(policyPath, data, lists)
}

// ParsePolicy validates compiled-policy data with optional dynamic-lists
// data (nil for none). The names label errors.
func ParsePolicy(policyFile string, data []byte, listsFile string, listData []byte) (*Policy, error) {
	var lists map[string]list
	if listData != nil {
		var err error
		if lists, err = parseLists(listsFile, listData); err != nil {
			return nil, err
		}
	}
	return parsePolicy(policyFile, data, lists)
}

type list struct {
	values []string
	file   string
	paths  map[string]string // value → JSON path where it was written, for errors
}

func parseLists(file string, data []byte) (map[string]list, error) {
	root, err := parseDoc(file, data)
	if err != nil {
		return nil, err
	}
	c := &jsondoc.Checker{File: file}
	out := make(map[string]list)
	if c.Object(root, "generatedAt", "lists") {
		if ls := c.Required(root, "lists"); ls != nil && c.Kind(ls, jsondoc.Object) {
			for _, m := range ls.Members {
				if l, ok := parseList(c, m.Value); ok {
					l.file = file
					out[m.Key] = l
				}
			}
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseList computes the effective values: (values ∪ manualAdditions) −
// manualRemovals, first occurrence order kept so output is stable.
func parseList(c *jsondoc.Checker, v *jsondoc.Value) (list, bool) {
	if !c.Object(v, "values", "manualAdditions", "manualRemovals", "resolvedAt", "inputHash") {
		return list{}, false
	}
	get := func(key string, required bool) []string {
		f := v.Get(key)
		if f == nil {
			if required {
				c.ErrorAt(v.Path+"."+key, "is required")
			}
			return nil
		}
		ss, _ := c.Strings(f)
		for i, s := range ss {
			if strings.TrimSpace(s) == "" {
				c.Errorf(f.Items[i], "must not be empty")
			}
		}
		return ss
	}
	values := get("values", true)
	adds := get("manualAdditions", false)
	removes := get("manualRemovals", false)
	gone := make(map[string]bool, len(removes))
	for _, r := range removes {
		gone[r] = true
	}
	seen := make(map[string]bool)
	l := list{paths: make(map[string]string)}
	where := func(key string, i int) string { return fmt.Sprintf("%s.%s[%d]", v.Path, key, i) }
	for i, s := range values {
		if _, ok := l.paths[s]; !ok {
			l.paths[s] = where("values", i)
		}
	}
	for i, s := range adds {
		if _, ok := l.paths[s]; !ok {
			l.paths[s] = where("manualAdditions", i)
		}
	}
	for _, s := range append(values, adds...) {
		if gone[s] || seen[s] {
			continue
		}
		seen[s] = true
		l.values = append(l.values, s)
	}
	return l, true
}

func parsePolicy(file string, data []byte, lists map[string]list) (*Policy, error) {
	root, err := parseDoc(file, data)
	if err != nil {
		return nil, err
	}
	c := &jsondoc.Checker{File: file}
	p := &Policy{}
	if !c.Object(root, "generatedAt", "constitutionHash", "inputHash", "rules", "listDefinitions", "skippedServers", "serverName") {
		return nil, c.Err()
	}
	rules := c.Required(root, "rules")
	if rules != nil && c.Kind(rules, jsondoc.Array) {
		names := make(map[string]string)
		for _, rv := range rules.Items {
			r, ok := parseRule(c, rv, lists, &p.Warnings)
			if !ok {
				continue
			}
			if first, dup := names[r.Name]; dup {
				c.Errorf(rv.Get("name"), "duplicate rule name %q (first used at %s)", r.Name, first)
				continue
			}
			names[r.Name] = rv.Path
			p.Rules = append(p.Rules, r)
		}
	}
	if ld := root.Get("listDefinitions"); ld != nil {
		c.Kind(ld, jsondoc.Array)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

func parseRule(c *jsondoc.Checker, v *jsondoc.Value, lists map[string]list, warnings *[]string) (Rule, bool) {
	var r Rule
	if !c.Object(v, "name", "description", "principle", "if", "then", "reason") {
		return r, false
	}
	before := len(c.Errs)
	if n := c.Required(v, "name"); n != nil {
		if name, ok := c.NonEmptyString(n); ok {
			if msg := checkRuleName(name); msg != "" {
				c.Errorf(n, "%s", msg)
			}
			r.Name = name
		}
	}
	if d := v.Get("description"); d != nil {
		r.Description, _ = c.String(d)
	}
	if pr := v.Get("principle"); pr != nil {
		r.Principle, _ = c.String(pr)
	}
	if rs := v.Get("reason"); rs != nil {
		r.Reason, _ = c.String(rs)
	}
	if t := c.Required(v, "then"); t != nil {
		if s, ok := c.String(t); ok {
			switch s {
			case "allow":
				r.Then = Allow
			case "escalate":
				r.Then = Escalate
			case "deny":
				r.Then = Deny
			default:
				c.Errorf(t, "unknown decision %q (want allow, escalate or deny)", s)
			}
		}
	}
	if cond := c.Required(v, "if"); cond != nil {
		r.If = parseCondition(c, cond, lists, warnings)
	}
	return r, len(c.Errs) == before
}

// checkRuleName keeps rule names printable and distinct from the engine's
// own: a name is shown in decisions, audit lines and prompts, so a newline
// or a name like "structural-sandbox-allow" could pass for something else.
func checkRuleName(name string) string {
	if len(name) > 128 {
		return "rule name longer than 128 characters"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || (i > 0 && (c == '-' || c == '_' || c == '.' || c == ':'))
		if !ok {
			return fmt.Sprintf("rule name %q may use only letters, digits and - _ . : (not first)", name)
		}
	}
	if name == RuleDefaultDeny || strings.HasPrefix(name, "structural-") {
		return fmt.Sprintf("rule name %q is reserved for the engine", name)
	}
	return ""
}

func parseCondition(c *jsondoc.Checker, v *jsondoc.Value, lists map[string]list, warnings *[]string) Condition {
	var cond Condition
	if !c.Object(v, "roles", "server", "tool", "paths", "domains", "lists") {
		return cond
	}
	if len(v.Members) == 0 {
		// An empty `if` matches every call; a compiler bug, never intent.
		c.Errorf(v, "must not be empty (a rule that matches every call)")
		return cond
	}
	if rv := v.Get("roles"); rv != nil {
		cond.Roles = nonEmptyRoles(c, rv)
	}
	if sv := v.Get("server"); sv != nil {
		cond.Server = nonEmptyStrings(c, sv)
	}
	if tv := v.Get("tool"); tv != nil {
		cond.Tool = nonEmptyStrings(c, tv)
	}
	if pv := v.Get("paths"); pv != nil && c.Object(pv, "roles", "within", "names") {
		pc := &PathCondition{}
		if rv := c.Required(pv, "roles"); rv != nil {
			pc.Roles = rolesOfCategory(c, rv, CatPath, "path")
		}
		if wv := c.Required(pv, "within"); wv != nil {
			if s, ok := c.NonEmptyString(wv); ok {
				if !filepath.IsAbs(s) && s != "~" && !strings.HasPrefix(s, "~/") {
					c.Errorf(wv, "must be an absolute path (or start with ~/), not %q", s)
				} else if strings.ContainsRune(s, 0) {
					c.Errorf(wv, "must not contain a NUL byte")
				}
				pc.Within = s
			}
		}
		if nv := pv.Get("names"); nv != nil {
			pc.Names = nonEmptyStrings(c, nv)
			for i, n := range pc.Names {
				if _, err := path.Match(n, ""); err != nil || n == "" || strings.Contains(n, "/") {
					c.Errorf(nv.Items[i], "%q is not a file name pattern", n)
				}
			}
		}
		cond.Paths = pc
	}
	if dv := v.Get("domains"); dv != nil && c.Object(dv, "roles", "allowed") {
		dc := &DomainCondition{}
		if rv := c.Required(dv, "roles"); rv != nil {
			dc.Roles = rolesOfCategory(c, rv, CatURL, "URL")
		}
		if av := c.Required(dv, "allowed"); av != nil {
			dc.Allowed = expandAllowed(c, av, lists, warnings)
			checkPatterns(c, av, dc.Allowed, lists)
		}
		cond.Domains = dc
	}
	if lv := v.Get("lists"); lv != nil && c.Kind(lv, jsondoc.Array) {
		if len(lv.Items) == 0 {
			c.Errorf(lv, "must not be empty")
		}
		for _, it := range lv.Items {
			if !c.Object(it, "roles", "allowed", "matchType") {
				continue
			}
			var lc ListCondition
			if rv := c.Required(it, "roles"); rv != nil {
				lc.Roles = nonEmptyRoles(c, rv)
			}
			if av := c.Required(it, "allowed"); av != nil {
				lc.Allowed = expandAllowed(c, av, lists, warnings)
			}
			if mv := c.Required(it, "matchType"); mv != nil {
				if s, ok := c.String(mv); ok {
					switch s {
					case "domains":
						lc.MatchType = MatchDomains
					case "emails":
						lc.MatchType = MatchEmails
					case "identifiers":
						lc.MatchType = MatchIdentifiers
					default:
						c.Errorf(mv, "unknown matchType %q (want domains, emails or identifiers)", s)
					}
				}
			}
			if lc.MatchType == MatchDomains {
				checkPatterns(c, it.Get("allowed"), lc.Allowed, lists)
			}
			cond.Lists = append(cond.Lists, lc)
		}
	}
	return cond
}

// checkPatterns makes sure every domain pattern (list values included)
// parses, and reports a bad one where it was written: in the policy, or in
// dynamic-lists.json for a value a @list brought in.
func checkPatterns(c *jsondoc.Checker, v *jsondoc.Value, patterns []string, lists map[string]list) {
	for _, s := range patterns {
		if _, err := resource.ParsePattern(s); err != nil {
			if src := literalSource(v, s); src != nil {
				c.Errorf(src, "%v", err)
				continue
			}
			reported := false
			for _, l := range lists {
				if p, ok := l.paths[s]; ok {
					c.Errs = append(c.Errs, &jsondoc.Error{File: l.file, Path: p, Msg: err.Error()})
					reported = true
					break
				}
			}
			if !reported {
				c.Errorf(v, "%v", err)
			}
		}
	}
}

// literalSource finds the element of v that wrote s, if s was written
// there rather than brought in by a @list.
func literalSource(v *jsondoc.Value, s string) *jsondoc.Value {
	if v != nil {
		for _, it := range v.Items {
			if it.Kind == jsondoc.String && it.Text == s {
				return it
			}
		}
	}
	return nil
}

func nonEmptyStrings(c *jsondoc.Checker, v *jsondoc.Value) []string {
	ss, ok := c.Strings(v)
	if ok && len(ss) == 0 {
		// An empty list would be read as "no constraint" by some and "matches
		// nothing" by others; refuse the ambiguity.
		c.Errorf(v, "must not be empty")
	}
	return ss
}

func nonEmptyRoles(c *jsondoc.Checker, v *jsondoc.Value) []Role {
	roles, _ := parseRoles(c, v)
	return roles
}

func rolesOfCategory(c *jsondoc.Checker, v *jsondoc.Value, cat Category, what string) []Role {
	roles := nonEmptyRoles(c, v)
	for i, r := range roles {
		if r.Category() != cat {
			c.Errorf(v.Items[i], "role %q is not a %s role", r, what)
		}
	}
	return roles
}

// expandAllowed replaces each "@name" with the list's effective values.
// An unknown list expands to nothing, so a rule that depends on it cannot
// match: the fail-closed reading of a missing list.
func expandAllowed(c *jsondoc.Checker, v *jsondoc.Value, lists map[string]list, warnings *[]string) []string {
	ss, ok := c.Strings(v)
	if !ok {
		return nil
	}
	var out []string
	for i, s := range ss {
		if name, isRef := strings.CutPrefix(s, "@"); isRef {
			l, found := lists[name]
			if !found {
				*warnings = append(*warnings, fmt.Sprintf("%s: %s: list %q is not in dynamic-lists.json; it matches nothing", c.File, v.Items[i].Path, s))
			}
			out = append(out, l.values...)
			continue
		}
		if strings.TrimSpace(s) == "" {
			c.Errorf(v.Items[i], "must not be empty")
			continue
		}
		out = append(out, s)
	}
	return out
}
