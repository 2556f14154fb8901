package escalate

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"syscall"
)

// logBuffer collects log records and announces each one on logged, so a
// test can wait for "the broker ignored that file" instead of polling.
type logBuffer struct {
	mu     sync.Mutex
	b      strings.Builder
	logged chan string
}

func newLogBuffer() *logBuffer { return &logBuffer{logged: make(chan string, 64)} }

func (l *logBuffer) logger() *slog.Logger { return slog.New(logHandler{l}) }

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type logHandler struct{ l *logBuffer }

func (h logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h logHandler) Handle(_ context.Context, r slog.Record) error {
	var line strings.Builder
	line.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		line.WriteString(" " + a.String())
		return true
	})
	h.l.mu.Lock()
	h.l.b.WriteString(line.String() + "\n")
	h.l.mu.Unlock()
	select {
	case h.l.logged <- r.Message:
	default:
	}
	return nil
}

func (h logHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logHandler) WithGroup(string) slog.Handler      { return h }

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }
