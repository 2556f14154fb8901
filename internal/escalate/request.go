package escalate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
	"github.com/ironcurtain/ironcurtain-go/internal/policy"
)

// Request is one call waiting for a human. Everything in it except ID and
// SessionID was derived from what the agent sent, so it is shown escaped
// and never interpreted.
type Request struct {
	// ID names the request's files. Empty means Ask picks a random one; a
	// given one must be a valid name (letters, digits, '.', '_', '-').
	ID string
	// SessionID must be the Broker's session, or empty for "this session".
	SessionID string
	Server    string
	Tool      string
	// Arguments are the canonical arguments the policy checked
	// (policy.Decision.Arguments); they are what an approval forwards.
	Arguments map[string]any
	Rule      string
	Reason    string
	// EscalatedRoles and Values come from the policy.Decision; approve+
	// builds its whitelist entry from them and nothing else.
	EscalatedRoles []policy.Role
	Values         []policy.RoleValue
}

// requestFile is the on-disk form of a pending request.
type requestFile struct {
	ID             string         `json:"id"`
	SessionID      string         `json:"sessionId"`
	Server         string         `json:"server"`
	Tool           string         `json:"tool"`
	Arguments      map[string]any `json:"arguments"`
	Rule           string         `json:"rule"`
	Reason         string         `json:"reason"`
	EscalatedRoles []policy.Role  `json:"escalatedRoles"`
	Values         []valueFile    `json:"values"`
	Created        time.Time      `json:"created"`
	Expires        time.Time      `json:"expires"`
}

type valueFile struct {
	Role  policy.Role `json:"role"`
	Arg   string      `json:"arg"`
	Value string      `json:"value"`
	Host  string      `json:"host,omitempty"`
}

// encodeRequest renders the request file. Map keys come out sorted, so the
// same canonical arguments always give the same bytes.
func encodeRequest(req Request, created, expires time.Time) ([]byte, error) {
	rf := requestFile{
		ID: req.ID, SessionID: req.SessionID, Server: req.Server, Tool: req.Tool,
		Arguments: req.Arguments, Rule: req.Rule, Reason: req.Reason,
		EscalatedRoles: req.EscalatedRoles, Values: make([]valueFile, 0, len(req.Values)),
		Created: created.UTC(), Expires: expires.UTC(),
	}
	if rf.Arguments == nil {
		rf.Arguments = map[string]any{}
	}
	if rf.EscalatedRoles == nil {
		rf.EscalatedRoles = []policy.Role{}
	}
	for _, v := range req.Values {
		rf.Values = append(rf.Values, valueFile(v))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rf); err != nil {
		return nil, fmt.Errorf("encode request %s: %w", req.ID, err)
	}
	if buf.Len() > maxRequestSize {
		return nil, fmt.Errorf("request %s is %d bytes, larger than the limit of %d", req.ID, buf.Len(), maxRequestSize)
	}
	return buf.Bytes(), nil
}

// parsedRequest is a request file read back.
type parsedRequest struct {
	req              Request
	created, expires time.Time
}

// parseRequest reads a request file strictly: unknown fields, duplicate
// keys, wrong types, unknown roles, invalid names and times are errors.
// The files are ours, but they sit in a directory a user can write to,
// and the CLI acts on what it finds there.
func parseRequest(file string, data []byte) (parsedRequest, error) {
	var out parsedRequest
	v, err := jsondoc.Parse(data, maxRequestSize)
	if err != nil {
		return out, fmt.Errorf("%s: %w", file, err)
	}
	c := &jsondoc.Checker{File: file}
	if !c.Object(v, "id", "sessionId", "server", "tool", "arguments", "rule", "reason", "escalatedRoles", "values", "created", "expires") {
		return out, c.Err()
	}
	r := &out.req
	name := func(key string) string {
		m := c.Required(v, key)
		if m == nil {
			return ""
		}
		s, ok := c.String(m)
		if ok && !validName(s) {
			c.Errorf(m, "must be 1-128 letters, digits, '.', '_' or '-', not starting with '.'")
		}
		return s
	}
	str := func(key string, nonEmpty bool) string {
		m := c.Required(v, key)
		if m == nil {
			return ""
		}
		if nonEmpty {
			s, _ := c.NonEmptyString(m)
			return s
		}
		s, _ := c.String(m)
		return s
	}
	stamp := func(key string) time.Time {
		s := str(key, true)
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			c.ErrorAt(key, "must be an RFC 3339 time")
		}
		return t
	}
	r.ID = name("id")
	r.SessionID = name("sessionId")
	r.Server = str("server", true)
	r.Tool = str("tool", true)
	r.Rule = str("rule", false)
	r.Reason = str("reason", false)
	if a := c.Required(v, "arguments"); a != nil && c.Kind(a, jsondoc.Object) {
		r.Arguments = a.Interface().(map[string]any)
	}
	if a := c.Required(v, "escalatedRoles"); a != nil {
		names, _ := c.Strings(a)
		for i, n := range names {
			role, ok := policy.ParseRole(n)
			if !ok {
				c.Errorf(a.Items[i], "unknown role %q", n)
				continue
			}
			r.EscalatedRoles = append(r.EscalatedRoles, role)
		}
	}
	if a := c.Required(v, "values"); a != nil && c.Kind(a, jsondoc.Array) {
		for _, it := range a.Items {
			if rv, ok := parseValue(c, it); ok {
				r.Values = append(r.Values, rv)
			}
		}
	}
	out.created = stamp("created")
	out.expires = stamp("expires")
	if err := c.Err(); err != nil {
		return parsedRequest{}, err
	}
	return out, nil
}

func parseValue(c *jsondoc.Checker, v *jsondoc.Value) (policy.RoleValue, bool) {
	var rv policy.RoleValue
	if !c.Object(v, "role", "arg", "value", "host") {
		return rv, false
	}
	before := len(c.Errs)
	if m := c.Required(v, "role"); m != nil {
		if s, ok := c.String(m); ok {
			role, known := policy.ParseRole(s)
			if !known {
				c.Errorf(m, "unknown role %q", s)
			}
			rv.Role = role
		}
	}
	if m := c.Required(v, "arg"); m != nil {
		rv.Arg, _ = c.String(m)
	}
	if m := c.Required(v, "value"); m != nil {
		rv.Value, _ = c.String(m)
	}
	if m := v.Get("host"); m != nil {
		rv.Host, _ = c.String(m)
	}
	return rv, len(c.Errs) == before
}
