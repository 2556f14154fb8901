package escalate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ironcurtain/ironcurtain-go/internal/policy"
	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// entry is one approve+ whitelist entry: a server, a tool and, for each
// role it covers, what a later value of that role must satisfy.
type entry struct {
	server, tool string
	cons         []constraint // sorted by role, then value
	desc         string
}

// constraint is what approve+ generalized one escalated value to.
type constraint struct {
	role policy.Role
	dir  resource.Path // CatPath: the approved value's directory
	host string        // CatURL: the approved URL's or remote's host
	val  string        // CatIdentifier: the exact canonical value
}

func (c constraint) String() string {
	switch c.role.Category() {
	case policy.CatPath:
		return c.role.String() + " within " + string(c.dir)
	case policy.CatURL:
		return c.role.String() + " on host " + c.host
	}
	return c.role.String() + " = " + c.val
}

func (c constraint) satisfiedBy(v policy.RoleValue) bool {
	switch c.role.Category() {
	case policy.CatPath:
		return resource.Path(v.Value).Within(c.dir)
	case policy.CatURL:
		return v.Host != "" && v.Host == c.host
	case policy.CatIdentifier:
		return v.Value == c.val
	}
	return false
}

// historyRole reports the roles approve+ never generalizes, as the
// TypeScript engine does. Their value is a repository, and the usual
// generalization (a path to its directory) would turn "rewrite this
// repository's history once" into "rewrite the history of every repository
// next to it for the rest of the session". Such a call stays a one-off
// approval; and because an entry covers only the roles it has constraints
// for, a later escalation of a history role is never whitelisted.
func historyRole(r policy.Role) bool {
	return r == policy.RoleWriteHistory || r == policy.RoleDeleteHistory
}

// buildEntry generalizes a request's escalated values into an entry. Only
// the escalated roles count: a value the policy was content with was not
// what the human was asked about.
func buildEntry(req Request) (entry, error) {
	e := entry{server: req.Server, tool: req.Tool}
	if req.Server == "" || req.Tool == "" {
		return e, errors.New("whitelist: request names no server or tool")
	}
	for _, role := range req.EscalatedRoles {
		if historyRole(role) || !role.IsResource() {
			continue
		}
		for _, v := range req.Values {
			if v.Role != role {
				continue
			}
			c, err := constraintFor(v)
			if err != nil {
				return e, fmt.Errorf("whitelist: %s %s: %w", role, v.Arg, err)
			}
			if !slices.Contains(e.cons, c) {
				e.cons = append(e.cons, c)
			}
		}
	}
	if len(e.cons) == 0 {
		why := "have no values that can be generalized"
		if slices.ContainsFunc(req.EscalatedRoles, historyRole) {
			why += " (history roles never are)"
		}
		return e, fmt.Errorf("whitelist: nothing to build an entry from: the escalated roles (%s) %s", roleList(req.EscalatedRoles), why)
	}
	slices.SortFunc(e.cons, func(a, b constraint) int {
		if a.role != b.role {
			return int(a.role) - int(b.role)
		}
		return strings.Compare(a.String(), b.String())
	})
	parts := make([]string, len(e.cons))
	for i, c := range e.cons {
		parts[i] = c.String()
	}
	e.desc = req.Server + "/" + req.Tool + " with " + strings.Join(parts, ", ")
	return e, nil
}

func constraintFor(v policy.RoleValue) (constraint, error) {
	c := constraint{role: v.Role}
	switch v.Role.Category() {
	case policy.CatPath:
		if v.Value == "" || v.Value[0] != '/' || filepath.Clean(v.Value) != v.Value {
			return c, fmt.Errorf("value %q is not a canonical path", v.Value)
		}
		// A file stands for its directory; a directory (list_directory ~)
		// stands for itself, never its parent (which would be /home).
		dir := filepath.Dir(v.Value)
		if fi, err := os.Stat(v.Value); err == nil && fi.IsDir() {
			dir = v.Value
		}
		if dir == "/" {
			// Every path is within "/": approving /x must not approve the
			// whole filesystem.
			return c, fmt.Errorf("value %q lies directly under /; its directory is everything", v.Value)
		}
		c.dir = resource.Path(dir)
	case policy.CatURL:
		if v.Host == "" {
			return c, fmt.Errorf("value %q has no host", v.Value)
		}
		c.host = v.Host
	case policy.CatIdentifier:
		if v.Value == "" {
			return c, errors.New("empty identifier")
		}
		c.val = v.Value
	default:
		return c, fmt.Errorf("role has no whitelist form")
	}
	return c, nil
}

// matches reports whether a later escalated decision for server/tool falls
// inside the entry. Every role the decision escalated must be one the
// entry covers (a human approved values of those roles only), every role
// the entry covers must have a value in the decision, and each such value
// must satisfy one of the entry's constraints for its role. A role with
// several approved values (a move's source and destination) accepts any of
// their directories.
func (e *entry) matches(server, tool string, d policy.Decision) bool {
	if d.Verdict != policy.Escalate || server != e.server || tool != e.tool || len(d.EscalatedRoles) == 0 {
		return false
	}
	covers := func(r policy.Role) bool {
		for _, c := range e.cons {
			if c.role == r {
				return true
			}
		}
		return false
	}
	for _, r := range d.EscalatedRoles {
		if !covers(r) {
			return false
		}
	}
	for i, c := range e.cons {
		if i > 0 && e.cons[i-1].role == c.role {
			continue // each role once
		}
		seen := false
		for _, v := range d.Values {
			if v.Role != c.role {
				continue
			}
			seen = true
			if !e.allows(v) {
				return false
			}
		}
		if !seen {
			return false
		}
	}
	return true
}

func (e *entry) allows(v policy.RoleValue) bool {
	for _, c := range e.cons {
		if c.role == v.Role && c.satisfiedBy(v) {
			return true
		}
	}
	return false
}

// DescribeEntry says what approve+ would whitelist for req, for showing
// before the human chooses, or why it cannot.
func DescribeEntry(req Request) (string, error) {
	e, err := buildEntry(req)
	if err != nil {
		return "", err
	}
	return e.desc, nil
}

// AddWhitelist adds the entry approve+ builds from req to the session's
// whitelist and returns its description. It refuses a request from which
// no constraint can be built: an entry without constraints would allow
// every later call of the tool.
func (b *Broker) AddWhitelist(req Request) (string, error) {
	e, err := buildEntry(req)
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.whitelist = append(b.whitelist, e)
	e.desc = fmt.Sprintf("#%d %s", len(b.whitelist), e.desc)
	b.whitelist[len(b.whitelist)-1] = e
	return e.desc, nil
}

// Whitelisted reports whether an approve+ entry turns d, an escalation of
// server/tool, into an allow, and names the entry. It is false for every
// verdict but Escalate: the whitelist never overrides a deny.
func (b *Broker) Whitelisted(server, tool string, d policy.Decision) (string, bool) {
	if d.Verdict != policy.Escalate {
		return "", false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for i := range b.whitelist {
		if b.whitelist[i].matches(server, tool, d) {
			return b.whitelist[i].desc, true
		}
	}
	return "", false
}

func roleList(rs []policy.Role) string {
	if len(rs) == 0 {
		return "none"
	}
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.String()
	}
	return strings.Join(names, ", ")
}
