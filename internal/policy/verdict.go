package policy

import "fmt"

// Verdict is the engine's answer. Deny is the zero value, so a Decision
// that was never filled in denies.
type Verdict uint8

const (
	Deny Verdict = iota
	Escalate
	Allow
)

func (v Verdict) String() string {
	switch v {
	case Deny:
		return "deny"
	case Escalate:
		return "escalate"
	case Allow:
		return "allow"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// MarshalText renders "allow", "escalate" or "deny".
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// ParseVerdict reads "allow", "escalate" or "deny".
func ParseVerdict(s string) (Verdict, bool) {
	switch s {
	case "allow":
		return Allow, true
	case "escalate":
		return Escalate, true
	case "deny":
		return Deny, true
	}
	return Deny, false
}

// Stricter returns the more restrictive of two verdicts: deny > escalate > allow.
func Stricter(a, b Verdict) Verdict {
	if a < b {
		return a
	}
	return b
}
