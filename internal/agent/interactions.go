package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/audit"
)

// interactionLog appends one JSON line per model call to
// interactions.jsonl: what was sent (the messages added since the call
// before, and the system prompt on a process's first call), what came
// back, usage, errors and timing. Providers hold the credentials, so none
// can reach it; error texts are redacted all the same, since an SDK may
// echo a request.
type interactionLog struct {
	mu         sync.Mutex // guards the fields below
	f          *os.File
	systemSent bool
}

type interaction struct {
	Time         time.Time   `json:"time"`
	SessionID    string      `json:"sessionId"`
	Step         int         `json:"step"`
	System       string      `json:"system,omitempty"`
	Sent         []Message   `json:"sent"`
	MessageCount int         `json:"messageCount"`
	MaxTokens    int         `json:"maxTokens"`
	Response     *loggedResp `json:"response,omitempty"`
	Error        string      `json:"error,omitempty"`
	DurationMs   float64     `json:"durationMs"`
}

type loggedResp struct {
	Model        string `json:"model"`
	StopReason   string `json:"stopReason"`
	Parts        []Part `json:"parts"`
	InputTokens  int64  `json:"inputTokens"`
	OutputTokens int64  `json:"outputTokens"`
}

func openInteractionLog(path string) (*interactionLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return nil, fmt.Errorf("interaction log: %w", err)
	}
	return &interactionLog{f: f}, nil
}

// write appends one record. The log is a record for people, not a
// safety mechanism: a failed write is reported to the caller, which
// logs it and carries on.
func (l *interactionLog) write(rec interaction, system string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.systemSent {
		rec.System = system
	}
	if rec.Sent == nil {
		rec.Sent = []Message{}
	}
	rec.Error = audit.RedactString(rec.Error)
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("interaction log: %w", err)
	}
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("interaction log: %w", err)
	}
	l.systemSent = true
	return nil
}

func (l *interactionLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
