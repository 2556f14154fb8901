package policy

import (
	"context"
	"fmt"
	"sort"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// value is one canonicalized argument value.
type value struct {
	canon string        // canonical string form, what is forwarded
	path  resource.Path // CatPath
	lex   string        // CatPath: lexical absolute form, for the protected-path check
	host  string        // CatURL: canonical host
	full  string        // CatURL: host/owner/repo for git remotes, else host
}

type argState struct {
	ann     *ArgAnnotation
	roles   roleSet // after conditional roles were resolved
	present bool
	cat     Category
	// The values: first, then more. One value is the common case and
	// needs no allocation.
	first value
	more  []value
	n     int
}

// val returns the j-th value.
func (st *argState) val(j int) *value {
	if j == 0 {
		return &st.first
	}
	return &st.more[j-1]
}

func (st *argState) add(v value) {
	if st.n == 0 {
		st.first = v
	} else {
		st.more = append(st.more, v)
	}
	st.n++
}

type evaluation struct {
	e       *Engine
	call    Call
	tool    *compiledTool
	args    []argState
	scratch []item  // evalMulti's work list
	union   roleSet // roles of every argument after resolution
	gated   bool    // the server has a domain allowlist
	explain bool
	trace   []Step
	canon   map[string]any // copy-on-write canonical arguments
}

// Decide evaluates a call. It never panics on input and never returns an
// error: every problem on the way to a decision is a deny.
func (e *Engine) Decide(call Call) Decision { return e.decide(call, false) }

// Explain is Decide with Decision.Trace filled in.
func (e *Engine) Explain(call Call) Decision { return e.decide(call, true) }

func (e *Engine) decide(call Call, explain bool) Decision {
	// Evaluation scratch space is pooled per engine: the hot path then
	// allocates only what the Decision hands back.
	ev, _ := e.pool.Get().(*evaluation)
	if ev == nil {
		ev = &evaluation{}
	}
	*ev = evaluation{e: e, call: call, explain: explain, args: ev.args[:0], scratch: ev.scratch[:0]}
	d := ev.run()
	if d.Arguments == nil {
		d.Arguments = ev.canon
		if d.Arguments == nil {
			d.Arguments = call.Arguments
		}
	}
	d.Trace = ev.trace
	if d.Verdict == Escalate {
		d.Values = ev.roleValues()
	}
	for i := range ev.args {
		ev.args[i] = argState{more: ev.args[i].more[:0]}
	}
	ev.call, ev.canon, ev.trace, ev.tool = Call{}, nil, nil, nil
	e.pool.Put(ev)
	return d
}

// roleValues lists the canonical values of resource-role arguments, one
// entry per role and value.
func (ev *evaluation) roleValues() []RoleValue {
	var out []RoleValue
	for i := range ev.args {
		st := &ev.args[i]
		for rs := st.roles & resourceRoles; rs != 0; rs &= rs - 1 {
			for j := 0; j < st.n; j++ {
				v := st.val(j)
				out = append(out, RoleValue{Role: rs.first(), Arg: st.ann.Name, Value: v.canon, Host: v.host})
			}
		}
	}
	return out
}

func (ev *evaluation) step(s Step) {
	if ev.explain {
		ev.trace = append(ev.trace, s)
	}
}

func (ev *evaluation) final(v Verdict, rule, reason string) Decision {
	ev.step(Step{Op: OpInvariant, Rule: rule, Verdict: v.String(), Detail: reason})
	return Decision{Verdict: v, Rule: rule, Reason: reason}
}

func (ev *evaluation) run() Decision {
	c := &ev.call
	e := ev.e
	ct := e.tools[toolKey{c.Server, c.Tool}]
	if ct == nil {
		return ev.final(Deny, RuleUnknownTool, fmt.Sprintf("Unknown tool: %s/%s", c.Server, c.Tool))
	}
	ev.tool = ct
	if d, bad := ev.checkArgumentNames(); bad {
		return d
	}
	ev.resolveRoles()
	if d, bad := ev.canonicalize(); bad {
		return d
	}
	if d, done := ev.structural(); done {
		return d
	}
	return ev.compiled()
}

// checkArgumentNames denies a call that passes an argument the annotation
// does not describe: the policy cannot judge what it does not know, and a
// server might read it as a path.
func (ev *evaluation) checkArgumentNames() (Decision, bool) {
	var unknown []string
	for k := range ev.call.Arguments {
		if ev.argIndex(k) < 0 {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return Decision{}, false
	}
	sort.Strings(unknown)
	return ev.final(Deny, RuleUnannotatedArgument,
		fmt.Sprintf("Argument %q of %s/%s has no annotation", unknown[0], ev.call.Server, ev.call.Tool)), true
}

func (ev *evaluation) argIndex(name string) int {
	for i := range ev.tool.ann.Args {
		if ev.tool.ann.Args[i].Name == name {
			return i
		}
	}
	return -1
}

// resolveRoles applies conditional roles: the first `when` whose condition
// holds, else the default.
func (ev *evaluation) resolveRoles() {
	anns := ev.tool.ann.Args
	if len(anns) <= cap(ev.args) {
		ev.args = ev.args[:len(anns)]
	} else {
		ev.args = make([]argState, len(anns))
	}
	for i := range anns {
		a := &anns[i]
		st := &ev.args[i]
		st.ann = a
		st.roles = a.defaults
		for _, w := range a.When {
			if w.holds(ev.call.Arguments) {
				st.roles = w.set
				break
			}
		}
		ev.union |= st.roles
	}
}

func (w *When) holds(args map[string]any) bool {
	v, present := args[w.Arg]
	switch w.Op {
	case CondEquals:
		return present && jsonEqual(v, w.Value)
	case CondIn:
		if !present {
			return false
		}
		for _, it := range w.In {
			if jsonEqual(v, it) {
				return true
			}
		}
		return false
	case CondIs:
		switch w.Is {
		case "present":
			return present && v != nil
		case "absent":
			return !present || v == nil
		case "truthy":
			return present && truthy(v)
		case "falsy":
			return !present || !truthy(v)
		}
	}
	return false
}

// canonicalize turns every path, URL and identifier value into its
// canonical form. A value of the wrong type or one that does not
// canonicalize denies the call.
func (ev *evaluation) canonicalize() (Decision, bool) {
	for i := range ev.args {
		st := &ev.args[i]
		raw, present := ev.call.Arguments[st.ann.Name]
		st.cat = categoryOf(st.roles)
		materialized := false
		if !present && st.ann.SchemaDefault != nil && st.cat != CatOpaque {
			raw, present, materialized = st.ann.SchemaDefault, true, true
		}
		st.present = present && raw != nil
		if !st.present || st.cat == CatOpaque {
			continue
		}
		if str, isStr := raw.(string); isStr {
			v, err := ev.canonValue(st, str)
			if err != nil {
				return ev.final(Deny, RuleInvalidArgument, fmt.Sprintf("Argument %q: %v", st.ann.Name, err)), true
			}
			ev.step(Step{Op: OpCanonical, Arg: st.ann.Name, Value: v.canon, Detail: str})
			st.add(v)
			if v.canon != str || materialized {
				ev.setCanonical(st, false)
			}
			continue
		}
		strs, isList, ok := stringValues(raw)
		if !ok {
			return ev.final(Deny, RuleInvalidArgument,
				fmt.Sprintf("Argument %q must be a string or an array of strings", st.ann.Name)), true
		}
		changed := false
		for _, s := range strs {
			v, err := ev.canonValue(st, s)
			if err != nil {
				return ev.final(Deny, RuleInvalidArgument, fmt.Sprintf("Argument %q: %v", st.ann.Name, err)), true
			}
			if v.canon != s {
				changed = true
			}
			ev.step(Step{Op: OpCanonical, Arg: st.ann.Name, Value: v.canon, Detail: s})
			st.add(v)
		}
		if changed || materialized {
			ev.setCanonical(st, isList)
		}
	}
	return Decision{}, false
}

func (ev *evaluation) canonValue(st *argState, s string) (value, error) {
	switch st.cat {
	case CatPath:
		p, err := ev.e.paths.Canonical(s)
		if err != nil {
			return value{}, err
		}
		return value{canon: p.String(), path: p, lex: lexical(ev.e.home, ev.e.base, s)}, nil
	case CatURL:
		if st.roles.has(RoleGitRemoteURL) {
			dir := ev.repoDir()
			g, err := resource.ParseGitRemote(context.Background(), s, dir, ev.e.remotes)
			if err != nil {
				return value{}, err
			}
			if rc, ok := ev.e.remotes.(rewriteChecker); ok && g.Name() == "" {
				if err := rc.CheckURL(context.Background(), dir, g.String()); err != nil {
					return value{}, err
				}
			}
			return value{canon: g.String(), host: g.Host(), full: g.Full()}, nil
		}
		u, err := resource.ParseURL(s)
		if err != nil {
			return value{}, err
		}
		// A fetch reaches the web: any other scheme (file:, ftp:, gopher:)
		// names something the domain rules were never written about.
		if sc := u.Scheme(); sc != "http" && sc != "https" {
			return value{}, fmt.Errorf("URL scheme %q is not http or https", sc)
		}
		return value{canon: u.String(), host: u.Host(), full: u.Host()}, nil
	case CatIdentifier:
		id, err := resource.Identifier(s)
		if err != nil {
			return value{}, err
		}
		return value{canon: id}, nil
	}
	return value{canon: s}, nil
}

// rewriteChecker is implemented by remote resolvers that can tell whether
// git would rewrite a URL before using it (url.<base>.insteadOf): a URL
// git rewrites is not the URL that was checked.
type rewriteChecker interface {
	CheckURL(ctx context.Context, dir, url string) error
}

// repoDir is where a named git remote is looked up: the call's repository
// path once canonical, else the sandbox.
func (ev *evaluation) repoDir() string {
	for i := range ev.args {
		st := &ev.args[i]
		if st.cat == CatPath && st.n > 0 {
			return st.first.path.String()
		}
	}
	return ev.e.sandbox.String()
}

func (ev *evaluation) setCanonical(st *argState, isList bool) {
	if ev.canon == nil {
		ev.canon = make(map[string]any, len(ev.call.Arguments))
		for k, v := range ev.call.Arguments {
			ev.canon[k] = v
		}
	}
	if !isList {
		ev.canon[st.ann.Name] = st.first.canon
		return
	}
	out := make([]any, st.n)
	for j := range out {
		out[j] = st.val(j).canon
	}
	ev.canon[st.ann.Name] = out
}

// categoryOf is the kind of an argument's resource roles; the loader
// guarantees an argument has at most one.
func categoryOf(rs roleSet) Category {
	switch {
	case rs&pathRoles != 0:
		return CatPath
	case rs&urlRoles != 0:
		return CatURL
	case rs&identRoles != 0:
		return CatIdentifier
	}
	return CatOpaque
}

func stringValues(v any) (out []string, isList, ok bool) {
	switch t := v.(type) {
	case string:
		return []string{t}, false, true
	case []any:
		out = make([]string, 0, len(t))
		for _, it := range t {
			s, isStr := it.(string)
			if !isStr {
				return nil, true, false
			}
			out = append(out, s)
		}
		return out, true, true
	case []string:
		return t, true, true
	}
	return nil, false, false
}

// structural applies the invariants no compiled rule can override, in this
// order: protected paths, introspection, sandbox containment, domain gate.
func (ev *evaluation) structural() (Decision, bool) {
	e := ev.e
	c := ev.call
	nPaths := 0
	allInSandbox := true
	hasURL := false
	for i := range ev.args {
		st := &ev.args[i]
		switch st.cat {
		case CatPath:
			changes := st.roles&changingRoles != 0
			for j := 0; j < st.n; j++ {
				v := st.val(j)
				nPaths++
				if e.isProtected(v) {
					return ev.final(Deny, RuleProtectedPath, "Access to protected path is forbidden: "+v.canon), true
				}
				if changes {
					if pp, ok := e.containsProtected(v); ok {
						return ev.final(Deny, RuleProtectedPath, "Changing "+v.canon+" would change the protected path "+pp), true
					}
				}
				if !v.path.Within(e.sandbox) {
					allInSandbox = false
				}
			}
		case CatURL:
			if st.n > 0 {
				hasURL = true
			}
		}
	}
	if c.Tool == introspectionTool && c.Server == introspectionServer && len(c.Arguments) == 0 {
		return ev.final(Allow, RuleIntrospection, "Introspection tool with no side effects is always allowed"), true
	}
	if nPaths > 0 && (c.Server == "filesystem" || c.Server == "git") {
		if c.Server == "filesystem" && allInSandbox && !hasURL {
			return ev.final(Allow, RuleSandboxAllow, "All paths are within the sandbox directory: "+e.sandbox.String()), true
		}
	}
	pats, gated := e.allowlists[c.Server]
	ev.gated = gated
	if gated {
		for i := range ev.args {
			st := &ev.args[i]
			if st.cat != CatURL {
				continue
			}
			for j := 0; j < st.n; j++ {
				v := st.val(j)
				if !pats.Match(v.host, v.full) {
					d := ev.final(Escalate, RuleDomainEscalate,
						fmt.Sprintf("URL domain %q is not in the allowlist for server %q", v.full, c.Server))
					d.EscalatedRoles = []Role{firstRole(st.roles & urlRoles)}
					return d, true
				}
			}
		}
	}
	return Decision{}, false
}

// changingRoles write, move or delete what their path names — and all
// beneath it.
const changingRoles = 1<<RoleWritePath | 1<<RoleDeletePath | 1<<RoleWriteHistory | 1<<RoleDeleteHistory

// containsProtected reports a protected path that lies inside v: moving or
// deleting a parent directory takes the protected path with it.
func (e *Engine) containsProtected(v *value) (string, bool) {
	for _, pp := range e.protected {
		for _, dir := range [2]resource.Path{pp.canonical, resource.Path(pp.lexical)} {
			if dir.Within(v.path) || dir.Within(resource.Path(v.lex)) {
				return dir.String(), true
			}
		}
	}
	return "", false
}

// isProtected checks both forms of a path value. The sandbox exempts a
// path only from protected directories that contain the sandbox: a sandbox
// set to the home directory (or /) must not unprotect everything in it.
func (e *Engine) isProtected(v *value) bool {
	for _, form := range [2]resource.Path{v.path, resource.Path(v.lex)} {
		for _, pp := range e.protected {
			for _, dir := range [2]resource.Path{pp.canonical, resource.Path(pp.lexical)} {
				if !form.Within(dir) {
					continue
				}
				if e.sandbox != dir && e.sandbox.Within(dir) && form.Within(e.sandbox) {
					continue // the session sandbox inside the home
				}
				return true
			}
		}
	}
	return false
}

func firstRole(rs roleSet) Role {
	if rs == 0 {
		return RoleNone
	}
	return rs.first()
}

// jsonEqual compares a decoded argument with a condition literal.
func jsonEqual(v any, lit interface{ Interface() any }) bool {
	want := lit.Interface()
	switch w := want.(type) {
	case nil:
		return v == nil
	case bool:
		b, ok := v.(bool)
		return ok && b == w
	case string:
		s, ok := v.(string)
		return ok && s == w
	case fmt.Stringer: // json.Number
		f1, ok1 := number(v)
		f2, ok2 := number(w)
		return ok1 && ok2 && f1 == f2
	}
	return false
}

func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	}
	if f, ok := number(v); ok {
		return f != 0
	}
	return true
}

func number(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int:
		return float64(t), true
	case interface{ Float64() (float64, error) }:
		f, err := t.Float64()
		return f, err == nil
	}
	return 0, false
}
