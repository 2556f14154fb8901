package runnerproto

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// MaxMessageSize bounds one message in either direction. Tool results and
// the final value are bounded well below it by the limits the parent sets.
const MaxMessageSize = 4 << 20

// Message types.
const (
	TypeStart      = "start"       // parent → worker: the code and what it may call
	TypeToolCall   = "tool_call"   // worker → parent
	TypeToolResult = "tool_result" // parent → worker
	TypeDone       = "done"        // worker → parent: the script finished
)

// Message is one line on the pipe. Exactly the fields of its Type are set.
type Message struct {
	Type string `json:"type"`

	Start  *Start      `json:"start,omitempty"`
	Call   *ToolCall   `json:"call,omitempty"`
	Result *ToolResult `json:"result,omitempty"`
	Done   *Done       `json:"done,omitempty"`
}

// Start is the first and only message the parent sends before results.
type Start struct {
	Code   string     `json:"code"` // the agent's TypeScript; the worker strips the types
	Tools  []ToolSpec `json:"tools"`
	Limits Limits     `json:"limits"`
}

// ToolSpec describes one callable tool.
type ToolSpec struct {
	Server      string          `json:"server"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"inputSchema,omitempty"`
}

// Limits bound one execution inside the worker. The parent enforces the
// wall clock independently by killing the process.
type Limits struct {
	MemoryBytes   int64 `json:"memoryBytes"`
	TimeoutMillis int64 `json:"timeoutMillis"`
	MaxResult     int   `json:"maxResult"`    // bytes of the returned value (JSON)
	MaxToolCalls  int   `json:"maxToolCalls"` // per execution
	MaxConsole    int   `json:"maxConsole"`   // bytes of captured console output
}

// ToolCall asks the parent to run a tool.
type ToolCall struct {
	ID     uint64          `json:"id"`
	Server string          `json:"server"`
	Tool   string          `json:"tool"`
	Args   json.RawMessage `json:"args"`
}

// ToolResult answers a ToolCall. Exactly one of Content, Denied, Error.
type ToolResult struct {
	ID      uint64          `json:"id"`
	Content json.RawMessage `json:"content,omitempty"` // the MCP result's content, as JSON
	IsError bool            `json:"isError,omitempty"` // the tool ran and reported an error
	Denied  string          `json:"denied,omitempty"`  // the policy or a person refused: thrown as "DENIED: ..."
	Error   string          `json:"error,omitempty"`   // the call failed before reaching the tool
}

// Done ends an execution.
type Done struct {
	Value   json.RawMessage `json:"value,omitempty"` // the script's result, as JSON
	Console []ConsoleLine   `json:"console,omitempty"`
	Error   string          `json:"error,omitempty"` // one line; empty on success
	Kind    string          `json:"kind,omitempty"`  // "exception", "oom", "timeout", "limit", "syntax"
}

// ConsoleLine is one captured console call.
type ConsoleLine struct {
	Level string `json:"level"` // log, info, warn, error, debug
	Text  string `json:"text"`
}

// Encoder writes messages, one per line, safe for concurrent use.
type Encoder struct {
	mu sync.Mutex
	w  io.Writer
}

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes one message; a message over MaxMessageSize is an error and
// nothing is written.
func (e *Encoder) Encode(m *Message) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("runnerproto: encode %s: %w", m.Type, err)
	}
	if len(data) > MaxMessageSize {
		return fmt.Errorf("runnerproto: %s message of %d bytes exceeds %d", m.Type, len(data), MaxMessageSize)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err = e.w.Write(append(data, '\n'))
	return err
}

// Decoder reads messages.
type Decoder struct {
	r *bufio.Reader
}

// NewDecoder returns a decoder reading from r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{r: bufio.NewReaderSize(r, 64<<10)} }

// ErrTooLarge is returned for a message over MaxMessageSize.
var ErrTooLarge = errors.New("runnerproto: message too large")

// Decode reads the next message. It returns io.EOF at a clean end.
func (d *Decoder) Decode() (*Message, error) {
	var buf []byte
	for {
		chunk, err := d.r.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxMessageSize+1 {
			return nil, ErrTooLarge
		}
		buf = append(buf, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(buf) == 0 {
			return nil, io.EOF
		}
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return Parse(buf[:len(buf)-1])
}

// Parse decodes one message strictly and checks that it is well formed.
func Parse(line []byte) (*Message, error) {
	if !utf8.Valid(line) {
		return nil, errors.New("runnerproto: message is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var m Message
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("runnerproto: %w", err)
	}
	if dec.More() {
		return nil, errors.New("runnerproto: trailing data after the message")
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Message) check() error {
	set := 0
	for _, p := range []bool{m.Start != nil, m.Call != nil, m.Result != nil, m.Done != nil} {
		if p {
			set++
		}
	}
	ok := set == 1
	switch m.Type {
	case TypeStart:
		ok = ok && m.Start != nil
	case TypeToolCall:
		ok = ok && m.Call != nil && m.Call.Server != "" && m.Call.Tool != ""
	case TypeToolResult:
		ok = ok && m.Result != nil
	case TypeDone:
		ok = ok && m.Done != nil
	default:
		return fmt.Errorf("runnerproto: unknown message type %q", m.Type)
	}
	if !ok {
		return fmt.Errorf("runnerproto: malformed %s message", m.Type)
	}
	return nil
}
