package policylint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// Severity of a finding.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one problem.
type Finding struct {
	Severity Severity `json:"severity"`
	Where    string   `json:"where"` // "rules[3]" or a load warning's location
	Rule     string   `json:"rule,omitempty"`
	Message  string   `json:"message"`
}

func (f Finding) String() string {
	s := string(f.Severity) + ": " + f.Where
	if f.Rule != "" {
		s += " (" + f.Rule + ")"
	}
	return s + ": " + f.Message
}

// Options give the context rules are judged in.
type Options struct {
	// Resolver canonicalizes `within` and protected paths (home for ~).
	Resolver *resource.PathResolver
	// Protected are the paths no rule may grant inside.
	Protected []string
}

var changingRoles = []policy.Role{policy.RoleWritePath, policy.RoleDeletePath, policy.RoleWriteHistory, policy.RoleDeleteHistory}

// Lint returns every finding, errors first, in rule order.
func Lint(p *policy.Policy, ann *policy.Annotations, opt Options) []Finding {
	l := &linter{p: p, ann: ann, opt: opt, servers: map[string]bool{}}
	for _, t := range ann.Tools() {
		l.servers[t.Server] = true
	}
	for _, w := range p.Warnings {
		l.out = append(l.out, Finding{Severity: Error, Where: "load", Message: w})
	}
	for i := range p.Rules {
		l.rule(i)
	}
	l.shadowing()
	sort.SliceStable(l.out, func(i, j int) bool {
		return l.out[i].Severity == Error && l.out[j].Severity != Error
	})
	return l.out
}

type linter struct {
	p       *policy.Policy
	ann     *policy.Annotations
	opt     Options
	servers map[string]bool
	out     []Finding
}

func (l *linter) add(sev Severity, i int, format string, args ...any) {
	l.out = append(l.out, Finding{Severity: sev, Where: fmt.Sprintf("rules[%d]", i), Rule: l.p.Rules[i].Name, Message: fmt.Sprintf(format, args...)})
}

// tools lists the annotated tools a rule's server and tool conditions admit.
func (l *linter) tools(r *policy.Rule) []*policy.ToolAnnotation {
	var out []*policy.ToolAnnotation
	for _, t := range l.ann.Tools() {
		if r.Admits(t.Server, t.Tool) {
			out = append(out, t)
		}
	}
	return out
}

func (l *linter) rule(i int) {
	r := &l.p.Rules[i]
	for _, s := range r.If.Server {
		if !l.servers[s] {
			l.add(Error, i, "server %q has no annotated tools", s)
		}
	}
	for _, tool := range r.If.Tool {
		found := false
		for _, t := range l.ann.Tools() {
			if t.Tool == tool && r.Admits(t.Server, tool) {
				found = true
				break
			}
		}
		if !found {
			l.add(Error, i, "tool %q is not an annotated tool of %s", tool, serversOf(r))
		}
	}
	if len(l.tools(r)) == 0 && len(r.If.Tool) == 0 && len(r.If.Server) > 0 {
		return // already reported: nothing to match
	}
	if pc := r.If.Paths; pc != nil && l.opt.Resolver != nil {
		if within, err := l.opt.Resolver.Canonical(pc.Within); err == nil {
			for _, pp := range l.opt.Protected {
				ppc, err := l.opt.Resolver.Canonical(pp)
				if err == nil && within.Within(ppc) {
					l.add(Error, i, "paths.within %s lies inside the protected path %s; the rule can never grant anything there", within, ppc)
				}
			}
		}
	}
	if r.Then == policy.Allow && r.If.Paths == nil {
		for _, role := range changingRoles {
			if l.ruleCanAllowRole(r, role) {
				l.add(Warning, i, "allows %s with no path condition: writes or deletes anywhere the tool can reach", role)
				break
			}
		}
	}
	if r.Then == policy.Escalate && r.If.Roles != nil {
		l.coActive(i)
	}
	if r.Then == policy.Allow && r.If.Domains == nil && !hasDomainList(r) {
		for _, role := range []policy.Role{policy.RoleFetchURL, policy.RoleGitRemoteURL} {
			if l.ruleCanAllowRole(r, role) {
				l.add(Warning, i, "allows %s with no domain condition: on a server without allowedDomains it admits no URL (docs/POLICY.md D5)", role)
				break
			}
		}
	}
}

// ruleCanAllowRole reports whether an allow rule applies to role on some tool.
func (l *linter) ruleCanAllowRole(r *policy.Rule, role policy.Role) bool {
	if !relevant(r, role) {
		return false
	}
	for _, t := range l.tools(r) {
		if toolHasRole(t, role) {
			return true
		}
	}
	return false
}

// coActive warns when an escalate rule's roles filter leaves other
// resource roles of a tool it matches with no rule but default-deny: the
// call would then be denied, not escalated.
func (l *linter) coActive(i int) {
	r := &l.p.Rules[i]
	for _, t := range l.tools(r) {
		if !toolHasAny(t, r.If.Roles) {
			continue
		}
		for _, role := range toolRoles(t) {
			if !role.IsResource() || contains(r.If.Roles, role) {
				continue
			}
			if !l.anyRuleCanPermit(t, role) {
				l.add(Warning, i, "escalates %s/%s but its roles filter leaves %s to default-deny, so the call is denied, not escalated", t.Server, t.Tool, role)
			}
		}
	}
}

func (l *linter) anyRuleCanPermit(t *policy.ToolAnnotation, role policy.Role) bool {
	for j := range l.p.Rules {
		r := &l.p.Rules[j]
		if r.Then != policy.Deny && r.Admits(t.Server, t.Tool) && relevant(r, role) {
			return true
		}
	}
	return false
}

func hasDomainList(r *policy.Rule) bool {
	for _, lc := range r.If.Lists {
		if lc.MatchType == policy.MatchDomains {
			return true
		}
	}
	return false
}

func serversOf(r *policy.Rule) string {
	if r.If.Server == nil {
		return "any server"
	}
	return strings.Join(r.If.Server, ", ")
}

// relevant mirrors the engine's per-role relevance.
func relevant(r *policy.Rule, role policy.Role) bool {
	c := r.If
	if c.Roles != nil && !contains(c.Roles, role) {
		return false
	}
	if c.Paths != nil && !contains(c.Paths.Roles, role) {
		return false
	}
	if c.Domains != nil && !contains(c.Domains.Roles, role) {
		return false
	}
	if len(c.Lists) > 0 {
		var any []policy.Role
		resource := false
		for _, lc := range c.Lists {
			any = append(any, lc.Roles...)
			for _, lr := range lc.Roles {
				resource = resource || lr.IsResource()
			}
		}
		if resource && !contains(any, role) {
			return false
		}
	}
	return true
}

func contains(rs []policy.Role, r policy.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func toolRoles(t *policy.ToolAnnotation) []policy.Role {
	seen := map[policy.Role]bool{}
	var out []policy.Role
	add := func(rs []policy.Role) {
		for _, r := range rs {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	for _, a := range t.Args {
		add(a.Default)
		for _, w := range a.When {
			add(w.Roles)
		}
	}
	return out
}

func toolHasRole(t *policy.ToolAnnotation, role policy.Role) bool {
	return contains(toolRoles(t), role)
}

func toolHasAny(t *policy.ToolAnnotation, roles []policy.Role) bool {
	for _, r := range roles {
		if toolHasRole(t, r) {
			return true
		}
	}
	return false
}
