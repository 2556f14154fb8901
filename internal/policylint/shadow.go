package policylint

import (
	"encoding/json"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// shadowing warns about rules an earlier rule always pre-empts.
func (l *linter) shadowing() {
	for j := range l.p.Rules {
		for i := 0; i < j; i++ {
			if l.covers(&l.p.Rules[i], &l.p.Rules[j]) {
				l.add(Warning, j, "can never fire: the earlier rule %q (rules[%d]) matches every call it matches", l.p.Rules[i].Name, i)
				break
			}
		}
	}
}

// covers reports whether rule a matches every call rule b matches, for
// every role b applies to — so b, coming later, never decides.
func (l *linter) covers(a, b *policy.Rule) bool {
	if !subset(b.If.Server, a.If.Server) || !subset(b.If.Tool, a.If.Tool) {
		return false
	}
	for _, role := range allRoles() {
		if relevant(b, role) && !relevant(a, role) {
			return false
		}
	}
	if a.If.Roles != nil && (b.If.Roles == nil || !rolesSubset(b.If.Roles, a.If.Roles)) {
		return false
	}
	if pa := a.If.Paths; pa != nil {
		pb := b.If.Paths
		if pb == nil || len(pa.Names) > 0 || !l.withinDir(pb.Within, pa.Within) {
			return false
		}
	}
	if da := a.If.Domains; da != nil {
		db := b.If.Domains
		if db == nil || !subset(db.Allowed, da.Allowed) {
			return false
		}
	} else if a.Then == policy.Allow && b.If.Domains != nil {
		// An allow rule without a domain condition is skipped for URL
		// values on ungated servers, where b may still decide.
		return false
	}
	if len(a.If.Lists) > 0 {
		ja, _ := json.Marshal(a.If.Lists)
		jb, _ := json.Marshal(b.If.Lists)
		if string(ja) != string(jb) {
			return false
		}
	}
	return true
}

func (l *linter) withinDir(inner, outer string) bool {
	if l.opt.Resolver == nil {
		return inner == outer
	}
	pi, err1 := l.opt.Resolver.Canonical(inner)
	po, err2 := l.opt.Resolver.Canonical(outer)
	return err1 == nil && err2 == nil && pi.Within(po)
}

// subset reports whether inner ⊆ outer, where nil means "everything".
func subset(inner, outer []string) bool {
	if outer == nil {
		return true
	}
	if inner == nil {
		return false
	}
	set := map[string]bool{}
	for _, s := range outer {
		set[s] = true
	}
	for _, s := range inner {
		if !set[s] {
			return false
		}
	}
	return true
}

func rolesSubset(inner, outer []policy.Role) bool {
	for _, r := range inner {
		if !contains(outer, r) {
			return false
		}
	}
	return true
}

func allRoles() []policy.Role {
	var out []policy.Role
	for r := policy.Role(0); ; r++ {
		if r.String() == "unknown-role" {
			return out
		}
		out = append(out, r)
	}
}
