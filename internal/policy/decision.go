package policy

// Call is one tool call as the agent made it. Arguments are decoded JSON
// (map[string]any, []any, string, json.Number or float64, bool, nil).
type Call struct {
	Server    string         `json:"serverName"`
	Tool      string         `json:"toolName"`
	Arguments map[string]any `json:"arguments"`
}

// Decision is the engine's answer for one call.
type Decision struct {
	Verdict Verdict
	// Rule names what decided: a compiled rule's name, "default-deny", or
	// a structural invariant ("structural-protected-path", ...).
	Rule   string
	Reason string
	// EscalatedRoles lists the roles whose evaluation escalated, when the
	// verdict is Escalate.
	EscalatedRoles []Role
	// Arguments are the canonical arguments that were checked: the caller
	// must forward exactly these, never the raw ones. When canonicalization
	// changed nothing this is the call's own map; treat it as read-only.
	Arguments map[string]any
	// Values lists the canonical value of every resource-role argument,
	// filled only when the verdict is Escalate: an approval's whitelist
	// entry is built from the escalated roles' values.
	Values []RoleValue
	// Trace explains the decision step by step; filled only on request.
	Trace []Step
}

// RoleValue is one canonical argument value with the role it was judged in.
type RoleValue struct {
	Role  Role
	Arg   string
	Value string // canonical: a path, URL, git remote or lowercased identifier
	Host  string // URL roles: the canonical host
}

// Structural rule names. They are part of the output format.
const (
	RuleDefaultDeny         = "default-deny"
	RuleProtectedPath       = "structural-protected-path"
	RuleIntrospection       = "structural-introspection-allow"
	RuleSandboxAllow        = "structural-sandbox-allow"
	RuleDomainEscalate      = "structural-domain-escalate"
	RuleUnknownTool         = "structural-unknown-tool"
	RuleInvalidArgument     = "structural-invalid-argument"
	RuleUnannotatedArgument = "structural-unannotated-argument"
	reasonDefaultDeny       = "No matching policy rule -- denied by default"
	introspectionTool       = "list_allowed_directories"
	introspectionServer     = "filesystem"
)

// Op is the kind of a trace step.
type Op uint8

const (
	OpCanonical  Op = iota + 1 // an argument value was canonicalized
	OpInvariant                // a structural invariant looked at the call
	OpRuleMatch                // a rule matched a role's values
	OpRuleSkip                 // a rule was considered and did not match
	OpRoleResult               // a role's evaluation finished
)

func (o Op) String() string {
	switch o {
	case OpCanonical:
		return "canonical"
	case OpInvariant:
		return "invariant"
	case OpRuleMatch:
		return "match"
	case OpRuleSkip:
		return "skip"
	case OpRoleResult:
		return "role"
	}
	return "op"
}

// MarshalText renders the op's name.
func (o Op) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Step is one event of an explanation.
type Step struct {
	Op      Op     `json:"op"`
	Role    string `json:"role,omitempty"`
	Arg     string `json:"arg,omitempty"`
	Value   string `json:"value,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Verdict string `json:"verdict,omitempty"`
	Detail  string `json:"detail,omitempty"`
}
