package policy

import (
	"math/bits"
	"strings"
)

// Role is the meaning of one tool argument: what resource it names and
// what the tool does to it. Roles come from tool-annotations.json.
type Role uint8

// The fixed role set, shared with the TypeScript IronCurtain's files.
const (
	RoleNone Role = iota
	RoleReadPath
	RoleWritePath
	RoleDeletePath
	RoleWriteHistory
	RoleDeleteHistory
	RoleFetchURL
	RoleGitRemoteURL
	RoleGitHubOwner
	RoleGitHubRepo
	RoleProxyDomain
	RoleBranchName
	RoleCommitMessage
	RoleEmailAddress
	RoleEmailBody
	RoleSharePermission
	numRoles
)

// Category says how a role's values are canonicalized and compared.
type Category uint8

const (
	CatOpaque     Category = iota // never an evaluation axis
	CatPath                       // canonical filesystem path
	CatURL                        // canonical URL / git remote
	CatIdentifier                 // lowercased identifier
)

type roleInfo struct {
	name     string
	cat      Category
	resource bool // evaluated as its own axis by compiled rules
}

var roleTable = [numRoles]roleInfo{
	RoleNone:            {"none", CatOpaque, false},
	RoleReadPath:        {"read-path", CatPath, true},
	RoleWritePath:       {"write-path", CatPath, true},
	RoleDeletePath:      {"delete-path", CatPath, true},
	RoleWriteHistory:    {"write-history", CatPath, true},
	RoleDeleteHistory:   {"delete-history", CatPath, true},
	RoleFetchURL:        {"fetch-url", CatURL, true},
	RoleGitRemoteURL:    {"git-remote-url", CatURL, true},
	RoleGitHubOwner:     {"github-owner", CatIdentifier, true},
	RoleGitHubRepo:      {"github-repo", CatIdentifier, true},
	RoleProxyDomain:     {"proxy-domain", CatIdentifier, true},
	RoleBranchName:      {"branch-name", CatOpaque, false},
	RoleCommitMessage:   {"commit-message", CatOpaque, false},
	RoleEmailAddress:    {"email-address", CatOpaque, false},
	RoleEmailBody:       {"email-body", CatOpaque, false},
	RoleSharePermission: {"share-permission", CatOpaque, false},
}

// ParseRole maps a role name to a Role.
func ParseRole(s string) (Role, bool) {
	for r := Role(0); r < numRoles; r++ {
		if roleTable[r].name == s {
			return r, true
		}
	}
	return 0, false
}

// RoleNames lists every known role name, for error messages.
func RoleNames() string {
	names := make([]string, 0, numRoles)
	for r := Role(0); r < numRoles; r++ {
		names = append(names, roleTable[r].name)
	}
	return strings.Join(names, ", ")
}

func (r Role) String() string {
	if r < numRoles {
		return roleTable[r].name
	}
	return "unknown-role"
}

// Category reports how the role's values are canonicalized.
func (r Role) Category() Category { return roleTable[r].cat }

// IsResource reports whether compiled rules evaluate the role as an axis.
func (r Role) IsResource() bool { return roleTable[r].resource }

// MarshalText renders the role's name, so JSON output shows "write-path".
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// roleSet is a bitmask of roles; it keeps the hot path allocation-free.
type roleSet uint32

func setOf(rs ...Role) roleSet {
	var s roleSet
	for _, r := range rs {
		s |= 1 << r
	}
	return s
}

func (s roleSet) has(r Role) bool           { return s&(1<<r) != 0 }
func (s roleSet) intersects(o roleSet) bool { return s&o != 0 }
func (s roleSet) empty() bool               { return s == 0 }

// roles lists the members in role order.
func (s roleSet) roles() []Role {
	var out []Role
	for ; s != 0; s &= s - 1 {
		out = append(out, s.first())
	}
	return out
}

// first returns the lowest member; s must not be empty.
func (s roleSet) first() Role { return Role(bits.TrailingZeros32(uint32(s))) }

const (
	pathRoles  roleSet = 1<<RoleReadPath | 1<<RoleWritePath | 1<<RoleDeletePath | 1<<RoleWriteHistory | 1<<RoleDeleteHistory
	urlRoles   roleSet = 1<<RoleFetchURL | 1<<RoleGitRemoteURL
	identRoles roleSet = 1<<RoleGitHubOwner | 1<<RoleGitHubRepo | 1<<RoleProxyDomain
)

const resourceRoles = pathRoles | urlRoles | identRoles
