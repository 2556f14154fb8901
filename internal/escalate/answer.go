package escalate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
	"unicode"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
)

// Outcome is how an escalation ended.
type Outcome string

const (
	Approved Outcome = "approved"
	Denied   Outcome = "denied"
	// TimedOut means nobody answered in time. Callers treat it as Denied;
	// it is kept apart so the audit log can say why.
	TimedOut Outcome = "timeout"
)

// Answer is a human's answer to one request.
type Answer struct {
	Outcome Outcome
	// By says who or what answered: "terminal" for the inline prompter, the
	// answer file's "by" for `ironcurtain escalations`, empty on timeout.
	By string
	// AddToWhitelist is set for approve+. Ask does not add the entry
	// itself: the caller calls AddWhitelist so it can audit the entry it
	// got, or the error when none could be built.
	AddToWhitelist bool
}

// The decisions an answer file may carry.
const (
	DecisionApprove     = "approve"
	DecisionApprovePlus = "approve+"
	DecisionDeny        = "deny"
)

// maxByLen bounds the "by" label: it names a person or a tool, not a text.
const maxByLen = 200

// ErrNotPending is returned (wrapped) by Respond when the request is gone,
// expired or already answered.
var ErrNotPending = errors.New("no longer pending")

// answerFile is the on-disk form of an answer.
type answerFile struct {
	Decision string `json:"decision"`
	By       string `json:"by"`
}

// parseAnswer reads an answer file strictly: exactly {"decision","by"},
// no unknown or duplicate fields, a known decision, a short printable "by".
func parseAnswer(data []byte) (Answer, error) {
	v, err := jsondoc.Parse(data, maxAnswerSize)
	if err != nil {
		return Answer{}, fmt.Errorf("answer: %w", err)
	}
	c := &jsondoc.Checker{File: "answer"}
	if !c.Object(v, "decision", "by") {
		return Answer{}, c.Err()
	}
	var decision, by string
	if m := c.Required(v, "decision"); m != nil {
		decision, _ = c.String(m)
	}
	if m := c.Required(v, "by"); m != nil {
		if s, ok := c.String(m); ok {
			if err := checkBy(s); err != nil {
				c.Errorf(m, "%v", err)
			}
			by = s
		}
	}
	if err := c.Err(); err != nil {
		return Answer{}, err
	}
	a, err := answerFor(decision, by)
	if err != nil {
		return Answer{}, fmt.Errorf("answer: decision: %w", err)
	}
	return a, nil
}

func answerFor(decision, by string) (Answer, error) {
	switch decision {
	case DecisionApprove:
		return Answer{Outcome: Approved, By: by}, nil
	case DecisionApprovePlus:
		return Answer{Outcome: Approved, By: by, AddToWhitelist: true}, nil
	case DecisionDeny:
		return Answer{Outcome: Denied, By: by}, nil
	}
	return Answer{}, fmt.Errorf("%q is not one of approve, approve+, deny", decision)
}

// checkBy keeps the "by" label printable: it ends up in logs and on
// terminals.
func checkBy(s string) error {
	if s == "" || len(s) > maxByLen {
		return fmt.Errorf("by must be 1-%d bytes", maxByLen)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("by contains the non-printable character %U", r)
		}
	}
	return nil
}

// Respond answers a pending request by writing its answer file, atomically
// and 0600. decision is approve, approve+ or deny; by names who answered.
// The file's location is derived from home and the request's session and
// id, never from p.Path. It fails with ErrNotPending if the request file is
// gone, has expired, or already has a valid answer (an invalid answer file
// is replaced), and refuses approve+ when no whitelist entry could be built
// from the request.
func Respond(home string, p Pending, decision, by string) error {
	if _, err := answerFor(decision, by); err != nil {
		return fmt.Errorf("respond: decision %w", err)
	}
	if err := checkBy(by); err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	req := p.Request
	if !validName(req.ID) {
		return fmt.Errorf("respond: request id %q is not a valid name", req.ID)
	}
	dir, err := secureEscalationsDir(home, req.SessionID, false)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("respond to %s: %w (session directory is gone)", req.ID, ErrNotPending)
		}
		return fmt.Errorf("respond: %w", err)
	}
	reqPath := filepath.Join(dir, requestName(req.ID))
	data, _, err := readOwnedFile(reqPath, maxRequestSize)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("respond to %s: %w", req.ID, ErrNotPending)
	}
	if err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	cur, err := parseRequest(reqPath, data)
	if err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	if cur.req.ID != req.ID || cur.req.SessionID != req.SessionID {
		return fmt.Errorf("respond: %s names request %s of session %s", reqPath, cur.req.ID, cur.req.SessionID)
	}
	if !time.Now().Before(cur.expires) {
		return fmt.Errorf("respond to %s: %w (expired at %s)", req.ID, ErrNotPending, cur.expires.Format(time.RFC3339))
	}
	if decision == DecisionApprovePlus {
		// Judge the request as it is on disk, not as the caller remembers it.
		if _, err := DescribeEntry(cur.req); err != nil {
			return fmt.Errorf("respond: approve+ is not possible for %s: %w", req.ID, err)
		}
	}
	body, err := json.Marshal(answerFile{Decision: decision, By: by})
	if err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	if answered(filepath.Join(dir, responseName(req.ID))) {
		return fmt.Errorf("respond to %s: %w (already answered)", req.ID, ErrNotPending)
	}
	// Rename, not link: a file the broker ignored (malformed, a symlink,
	// someone's half-written answer) must not block the real one.
	if err := writeFileAtomic(dir, responseName(req.ID), body, true); err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	return nil
}

// answered reports whether path holds an answer the broker would accept.
func answered(path string) bool {
	data, _, err := readOwnedFile(path, maxAnswerSize)
	if err != nil {
		return false
	}
	_, err = parseAnswer(data)
	return err == nil
}
