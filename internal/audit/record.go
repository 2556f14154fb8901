package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Record is one tool call as the audit log keeps it. The gateway fills
// everything but Prev; Append redacts the free-text fields and sets Prev.
type Record struct {
	Timestamp time.Time `json:"timestamp"` // UTC, RFC 3339 with nanoseconds; Append fills a zero one
	RequestID string    `json:"requestId"`
	SessionID string    `json:"sessionId"`
	Server    string    `json:"server"`
	Tool      string    `json:"tool"`
	// Arguments are the canonical arguments the policy judged (or, for a
	// call stopped before that, the arguments as sent). Append stores
	// Redact(Arguments), so a secret never reaches the disk even if a
	// later reader forgets to redact.
	Arguments  map[string]any `json:"arguments"`
	Decision   Decision       `json:"decision"`
	Escalation *Escalation    `json:"escalation,omitempty"`
	Result     Result         `json:"result"`
	DurationMs float64        `json:"durationMs"`
	// Prev is the hex SHA-256 (Hash) of the previous line without its
	// newline; ChainStart on the first line. Append overwrites it.
	Prev string `json:"prev"`
}

// Decision is the policy's answer. Status is one of the Decision*
// constants; the gateway records "deny" for calls stopped before the
// policy ran, with the stage's rule (e.g. "invalid-arguments").
type Decision struct {
	Status string `json:"status"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Escalation says how an escalated call was settled and by whom ("terminal",
// "escalations:<user>", "whitelist:<entry>", ...).
type Escalation struct {
	Outcome     string `json:"outcome"`
	By          string `json:"by"`
	Whitelisted bool   `json:"whitelisted"`
}

// Result is what became of the call.
type Result struct {
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Values the gateway writes. They are plain strings, not a closed type,
// because a record must be written whatever its fate: Append never refuses
// a record for an unexpected status.
const (
	DecisionAllow    = "allow"
	DecisionDeny     = "deny"
	DecisionEscalate = "escalate"

	OutcomeApproved    = "approved"
	OutcomeDenied      = "denied"
	OutcomeTimeout     = "timeout"
	OutcomeWhitelisted = "whitelisted"

	ResultSuccess = "success"
	ResultDenied  = "denied"
	ResultError   = "error"
	ResultTimeout = "timeout"
)

// ChainStart is the Prev of a log's first line.
const ChainStart = "0000000000000000000000000000000000000000000000000000000000000000"

// MaxLineSize bounds one line. Append never writes a longer one (it
// replaces oversized arguments by a note) and readers refuse longer ones,
// so a hostile file cannot make them buffer without limit.
const MaxLineSize = 8 << 20

// ParseLine decodes one line (without its newline) for display. Numbers
// in Arguments stay json.Number so they print as written. It checks the
// shape only; whether the line belongs in its chain is Verify's question.
func ParseLine(line []byte) (Record, error) {
	var r Record
	if len(line) > MaxLineSize {
		return r, fmt.Errorf("line is %d bytes, over the limit of %d", len(line), MaxLineSize)
	}
	if t := bytes.TrimLeft(line, " \t\r"); len(t) == 0 || t[0] != '{' {
		return r, errors.New("not an audit record: not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return Record{}, fmt.Errorf("not an audit record: %w", err)
	}
	if dec.More() {
		return Record{}, errors.New("not an audit record: data after the JSON object")
	}
	return r, nil
}
