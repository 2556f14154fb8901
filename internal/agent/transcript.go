package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ParseMessage decodes one transcript line strictly: valid UTF-8, no
// unknown fields, a known role, at least one part, and each part carrying
// exactly what its type needs.
func ParseMessage(line []byte) (Message, error) {
	var m Message
	if len(line) > maxTranscriptLine {
		return m, fmt.Errorf("message of %d bytes exceeds %d", len(line), maxTranscriptLine)
	}
	if !utf8.Valid(line) {
		return m, errors.New("message is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Message{}, fmt.Errorf("message: %w", err)
	}
	if dec.More() {
		return Message{}, errors.New("message: trailing data")
	}
	if err := checkMessage(m); err != nil {
		return Message{}, err
	}
	return m, nil
}

func checkMessage(m Message) error {
	if m.Role != RoleUser && m.Role != RoleAssistant {
		return fmt.Errorf("message: unknown role %q", m.Role)
	}
	if len(m.Parts) == 0 {
		return errors.New("message: no parts")
	}
	for i, p := range m.Parts {
		if err := checkPart(m.Role, p); err != nil {
			return fmt.Errorf("message: parts[%d]: %w", i, err)
		}
	}
	return nil
}

func checkPart(role Role, p Part) error {
	use := p.ToolUseID != "" || p.ToolName != "" || len(p.Input) > 0
	result := p.ToolResultID != "" || p.Content != "" || p.IsError
	switch p.Type {
	case PartText:
		if use || result {
			return errors.New("text part with tool fields")
		}
	case PartToolUse:
		switch {
		case role != RoleAssistant:
			return errors.New("tool_use in a user message")
		case p.Text != "" || result:
			return errors.New("tool_use part with other fields")
		case p.ToolUseID == "" || p.ToolName == "":
			return errors.New("tool_use without id or name")
		case !json.Valid(p.Input):
			// Not necessarily an object: a provider hands on arguments
			// that were not JSON as a JSON string, and the model is told.
			return errors.New("tool_use input is not JSON")
		}
	case PartToolResult:
		switch {
		case role != RoleUser:
			return errors.New("tool_result in an assistant message")
		case p.Text != "" || use:
			return errors.New("tool_result part with other fields")
		case p.ToolResultID == "":
			return errors.New("tool_result without id")
		}
	default:
		return fmt.Errorf("unknown part type %q", p.Type)
	}
	return nil
}

// checkConversation checks what the providers insist on: it starts with
// the user, roles alternate, and every tool_use is answered by a
// tool_result in the next message (which answers nothing else).
func checkConversation(msgs []Message) error {
	for i, m := range msgs {
		want := RoleUser
		if i%2 == 1 {
			want = RoleAssistant
		}
		if m.Role != want {
			return fmt.Errorf("message %d: role %s, want %s", i+1, m.Role, want)
		}
		if m.Role != RoleUser {
			continue
		}
		asked := map[string]bool{}
		if i > 0 {
			for _, p := range msgs[i-1].Parts {
				if p.Type == PartToolUse {
					asked[p.ToolUseID] = true
				}
			}
		}
		for _, p := range m.Parts {
			if p.Type != PartToolResult {
				continue
			}
			if !asked[p.ToolResultID] {
				return fmt.Errorf("message %d: tool_result %q answers no tool_use", i+1, p.ToolResultID)
			}
			delete(asked, p.ToolResultID)
		}
		if len(asked) > 0 {
			return fmt.Errorf("message %d: a tool_use of message %d has no tool_result", i+1, i)
		}
	}
	return nil
}

// danglingToolUses returns the user message that answers the tool_use
// parts of a final assistant message, or nil if there are none.
func danglingToolUses(msgs []Message) *Message {
	if len(msgs) == 0 || msgs[len(msgs)-1].Role != RoleAssistant {
		return nil
	}
	var parts []Part
	for _, p := range msgs[len(msgs)-1].Parts {
		if p.Type == PartToolUse {
			parts = append(parts, Part{Type: PartToolResult, ToolResultID: p.ToolUseID, IsError: true,
				Content: "Not run: the session ended before this code could run."})
		}
	}
	if parts == nil {
		return nil
	}
	return &Message{Role: RoleUser, Parts: parts}
}
