package policy

import (
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// compiled evaluates the rules: each resource role still open is evaluated
// on its own, first match wins, and the strictest result across roles wins.
func (ev *evaluation) compiled() Decision {
	var all, present, resolved roleSet
	// Roles in order of first appearance: it decides which of two equally
	// strict results is reported.
	var orderBuf, evalBuf [numRoles]Role
	order := orderBuf[:0]
	for i := range ev.args {
		st := &ev.args[i]
		for rs := st.roles & resourceRoles &^ all; rs != 0; rs &= rs - 1 {
			r := rs.first()
			all |= 1 << r
			order = append(order, r)
		}
		if st.present {
			present |= st.roles & resourceRoles
		}
	}
	resolved = ev.sandboxResolved()
	toEval := evalBuf[:0]
	for _, r := range order {
		if resolved.has(r) {
			continue
		}
		// An absent argument names no resource, so its role is not an axis.
		// An absent remote is the exception: it stands for the repository's
		// default remote, which could point anywhere.
		if !present.has(r) && r.Category() != CatURL {
			ev.step(Step{Op: OpRoleResult, Role: r.String(), Detail: "no argument with this role is present; not evaluated"})
			continue
		}
		toEval = append(toEval, r)
	}
	if len(toEval) == 0 {
		if !resolved.empty() {
			return ev.final(Allow, RuleSandboxAllow, "All path roles resolved by sandbox containment")
		}
		return ev.unscoped()
	}
	var best Decision
	haveBest := false
	var escalated []Role
	for _, r := range toEval {
		d := ev.evalRole(r)
		if ev.explain {
			ev.step(Step{Op: OpRoleResult, Role: r.String(), Rule: d.Rule, Verdict: d.Verdict.String()})
		}
		if d.Verdict == Deny {
			return d
		}
		if d.Verdict == Escalate {
			escalated = append(escalated, r)
		}
		if !haveBest || d.Verdict < best.Verdict {
			best, haveBest = d, true
		}
	}
	if best.Verdict == Escalate {
		best.EscalatedRoles = escalated
	}
	return best
}

// sandboxResolved returns the path roles whose every value lies inside the
// sandbox (filesystem and git servers only: other servers' paths are not
// local files).
func (ev *evaluation) sandboxResolved() roleSet {
	if !ev.sandboxApplies() {
		return 0
	}
	var seen, outside roleSet
	for i := range ev.args {
		st := &ev.args[i]
		if st.cat != CatPath || st.n == 0 {
			continue
		}
		rs := st.roles & pathRoles
		seen |= rs
		for j := 0; j < st.n; j++ {
			if !st.val(j).path.Within(ev.e.sandbox) {
				outside |= rs
				break
			}
		}
	}
	res := seen &^ outside
	if ev.explain && res != 0 { // guarded: the message is built only when explaining
		ev.step(Step{Op: OpInvariant, Rule: "structural-sandbox-containment", Detail: "roles resolved inside the sandbox: " + joinRoles(res)})
	}
	return res
}

// sandboxApplies reports whether the call's paths are local files the
// sandbox can contain: only the filesystem and git servers' are.
func (ev *evaluation) sandboxApplies() bool {
	return ev.call.Server == "filesystem" || ev.call.Server == "git"
}

func joinRoles(rs roleSet) string {
	var b strings.Builder
	for i, r := range rs.roles() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.String())
	}
	return b.String()
}

func (ev *evaluation) ruleResult(r *compiledRule) Decision {
	return Decision{Verdict: r.rule.Then, Rule: r.rule.Name, Reason: r.rule.Reason}
}

func defaultDeny() Decision {
	return Decision{Verdict: Deny, Rule: RuleDefaultDeny, Reason: reasonDefaultDeny}
}

// unscoped is one first-match scan for a call with no resource role to
// evaluate.
func (ev *evaluation) unscoped() Decision {
	for _, i := range ev.tool.rules {
		r := &ev.e.rules[i]
		if ev.matches(r, RoleNone, false) {
			ev.step(Step{Op: OpRuleMatch, Rule: r.rule.Name, Verdict: r.rule.Then.String()})
			return ev.ruleResult(r)
		}
		ev.step(Step{Op: OpRuleSkip, Rule: r.rule.Name})
	}
	return defaultDeny()
}

func (ev *evaluation) relevant(r *compiledRule, role Role) bool {
	return r.agnostic || r.relevant.has(role)
}

// skipUngatedAllow reports whether an allow rule must not decide a URL
// role: with no domain gate on the server, an allow rule that says nothing
// about domains would admit any hostile URL.
func (ev *evaluation) skipUngatedAllow(r *compiledRule, role Role) bool {
	if ev.gated || r.rule.Then != Allow || role.Category() != CatURL || ev.countValues(1<<role) == 0 {
		return false
	}
	if r.hasDomains && r.domRoles.has(role) {
		return false
	}
	for _, l := range r.lists {
		if l.match == MatchDomains && l.roles.has(role) {
			return false
		}
	}
	return true
}

// evalRole runs the rule chain for one role.
func (ev *evaluation) evalRole(role Role) Decision {
	if ev.countValues(1<<role) > 1 {
		return ev.evalMulti(role)
	}
	for _, i := range ev.tool.rules {
		r := &ev.e.rules[i]
		if !ev.relevant(r, role) {
			ev.step(Step{Op: OpRuleSkip, Role: role.String(), Rule: r.rule.Name, Detail: "does not apply to this role"})
			continue
		}
		if ev.skipUngatedAllow(r, role) {
			ev.step(Step{Op: OpRuleSkip, Role: role.String(), Rule: r.rule.Name, Detail: "allow rule without a domain condition cannot admit a URL on a server with no domain allowlist"})
			continue
		}
		if ev.matches(r, role, true) {
			ev.step(Step{Op: OpRuleMatch, Role: role.String(), Rule: r.rule.Name, Verdict: r.rule.Then.String()})
			return ev.ruleResult(r)
		}
		ev.step(Step{Op: OpRuleSkip, Role: role.String(), Rule: r.rule.Name})
	}
	return defaultDeny()
}

// item names one value of a many-valued role by position.
type item struct {
	arg, idx int
	done     bool
}

// evalMulti discharges each value of a many-valued role separately: a rule
// with a path condition takes the values inside its directory, a rule
// without one takes all that remain. Strictest wins; a value no rule takes
// is denied.
func (ev *evaluation) evalMulti(role Role) Decision {
	items := ev.scratch[:0]
	for i := range ev.args {
		st := &ev.args[i]
		if !st.roles.has(role) {
			continue
		}
		for j := 0; j < st.n; j++ {
			items = append(items, item{arg: i, idx: j})
		}
	}
	ev.scratch = items
	valueOf := func(it item) *value { return ev.args[it.arg].val(it.idx) }
	remaining := len(items)
	var best Decision
	have := false
	if ev.sandboxApplies() && role.Category() == CatPath {
		// Values inside the sandbox are discharged by containment, as a
		// role with only such values would have been.
		for k := range items {
			if v := valueOf(items[k]); v.path.Within(ev.e.sandbox) {
				items[k].done = true
				remaining--
				ev.step(Step{Op: OpInvariant, Role: role.String(), Rule: RuleSandboxAllow, Value: v.canon, Verdict: Allow.String()})
			}
		}
	}
	sandboxTook := remaining < len(items)
	for _, i := range ev.tool.rules {
		if remaining == 0 {
			break
		}
		r := &ev.e.rules[i]
		if !ev.relevant(r, role) || ev.skipUngatedAllow(r, role) || !ev.matchesNonPath(r, role) {
			continue
		}
		took := 0
		for k := range items {
			if items[k].done {
				continue
			}
			v := valueOf(items[k])
			if r.hasPaths && !r.pathMatches(v.path) {
				continue
			}
			if r.hasDomains && !r.domains.Match(v.host, v.full) {
				continue
			}
			items[k].done = true
			took++
			ev.step(Step{Op: OpRuleMatch, Role: role.String(), Rule: r.rule.Name, Value: v.canon, Verdict: r.rule.Then.String()})
		}
		if took == 0 {
			continue
		}
		remaining -= took
		if d := ev.ruleResult(r); !have || d.Verdict < best.Verdict {
			best, have = d, true
		}
	}
	if remaining > 0 {
		return defaultDeny()
	}
	if !have {
		if sandboxTook {
			return Decision{Verdict: Allow, Rule: RuleSandboxAllow, Reason: "All paths are within the sandbox directory: " + ev.e.sandbox.String()}
		}
		return defaultDeny()
	}
	return best
}

// matches checks every condition of a rule. When scoped, value conditions
// look only at the evaluated role's values.
func (ev *evaluation) matches(r *compiledRule, role Role, scoped bool) bool {
	if !ev.matchesNonPath(r, role) {
		return false
	}
	if r.hasPaths {
		roles := r.pathRoles
		if scoped {
			roles = 1 << role
		}
		if !ev.allPathsMatch(roles, r) {
			return false
		}
	}
	if r.hasDomains {
		roles := r.domRoles
		if scoped {
			roles = 1 << role
		}
		if !ev.allDomains(roles, r.domains) {
			return false
		}
	}
	return true
}

// matchesNonPath checks the `roles` condition and the list conditions;
// server and tool were checked when the engine was built.
func (ev *evaluation) matchesNonPath(r *compiledRule, role Role) bool {
	if r.hasRoleCond && !ev.union.intersects(r.roleCond) {
		return false
	}
	for li := range r.lists {
		l := &r.lists[li]
		roles := l.roles
		if l.roles.has(role) {
			roles = 1 << role
		}
		if !ev.listMatches(l, roles) {
			return false
		}
	}
	return true
}

func (ev *evaluation) listMatches(l *compiledList, roles roleSet) bool {
	n := 0
	for i := range ev.args {
		st := &ev.args[i]
		if !st.roles.intersects(roles) || !st.present {
			continue
		}
		if st.cat == CatOpaque {
			strs, _, ok := stringValues(ev.call.Arguments[st.ann.Name])
			if !ok {
				return false
			}
			for _, s := range strs {
				n++
				if !l.matchString(s) {
					return false
				}
			}
			continue
		}
		for j := 0; j < st.n; j++ {
			n++
			v := st.val(j)
			if st.cat == CatURL {
				if l.match != MatchDomains || !l.patterns.Match(v.host, v.full) {
					return false
				}
				continue
			}
			if !l.matchString(v.canon) {
				return false
			}
		}
	}
	return n > 0
}

func (l *compiledList) matchString(s string) bool {
	switch l.match {
	case MatchDomains:
		h, err := resource.CanonicalHost(s)
		return err == nil && l.patterns.Match(h, h)
	case MatchEmails, MatchIdentifiers:
		s = strings.ToLower(s)
		for _, want := range l.values {
			if s == want {
				return true
			}
		}
	}
	return false
}

// countValues counts canonical values of arguments carrying any of roles.
func (ev *evaluation) countValues(roles roleSet) int {
	n := 0
	for i := range ev.args {
		if ev.args[i].roles.intersects(roles) {
			n += ev.args[i].n
		}
	}
	return n
}

// allPathsMatch reports whether there is at least one value carrying roles
// and every such value satisfies the rule's path condition.
func (ev *evaluation) allPathsMatch(roles roleSet, r *compiledRule) bool {
	n := 0
	for i := range ev.args {
		st := &ev.args[i]
		if !st.roles.intersects(roles) {
			continue
		}
		for j := 0; j < st.n; j++ {
			n++
			if !r.pathMatches(st.val(j).path) {
				return false
			}
		}
	}
	return n > 0
}

// allDomains reports whether there is at least one URL value carrying
// roles and every such value matches one of pats.
func (ev *evaluation) allDomains(roles roleSet, pats resource.PatternSet) bool {
	n := 0
	for i := range ev.args {
		st := &ev.args[i]
		if !st.roles.intersects(roles) {
			continue
		}
		for j := 0; j < st.n; j++ {
			n++
			v := st.val(j)
			if !pats.Match(v.host, v.full) {
				return false
			}
		}
	}
	return n > 0
}
