package agent

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/resource"
)

// Names inside a session directory.
const (
	stateFile        = "session.json"
	transcriptFile   = "transcript.jsonl"
	interactionsFile = "interactions.jsonl"
	auditFile        = "audit.jsonl"
	sandboxDir       = "sandbox"
	lockFile         = "lock"
)

// Bounds on files read back on resume.
const (
	maxStateSize      = 1 << 20
	maxTranscriptLine = 16 << 20
	maxTranscriptSize = 256 << 20
)

// stateVersion is written to session.json; a different one is refused.
const stateVersion = 1

// Session is one agent session and its directory
// <home>/sessions/<id>/ (0700): session.json (model, sandbox, budget
// spent), transcript.jsonl (every message, for --resume),
// interactions.jsonl (every model request and response), audit.jsonl
// (written by the gateway), escalations/ (written by the escalation
// broker) and sandbox/ (unless a workspace is used). A session is held
// by one process at a time.
type Session struct {
	// Immutable after Create or Open.
	ID        string
	Dir       string
	Sandbox   string // <dir>/sandbox, or the workspace directory
	Workspace bool   // Sandbox is a directory of the user's (-w)
	Model     string // provider:model the session was started with
	Created   time.Time

	lock *os.File

	mu         sync.Mutex // guards the fields below
	spent      Spent
	warned     map[Dimension]bool
	messages   []Message
	transcript *os.File
	closed     bool
}

// state is session.json.
type state struct {
	Version   int         `json:"version"`
	ID        string      `json:"id"`
	Created   time.Time   `json:"created"`
	Model     string      `json:"model"`
	Sandbox   string      `json:"sandbox"`
	Workspace bool        `json:"workspace"`
	Spent     Spent       `json:"spent"`
	Warned    []Dimension `json:"warned"`
}

// CreateOptions configure a new session.
type CreateOptions struct {
	// Model is recorded so --resume talks to the same model.
	Model string
	// Workspace, if set, is an existing directory used as the sandbox
	// instead of <dir>/sandbox. It must not lie inside home nor contain it.
	Workspace string
	// Now is the clock for the creation time and the id (default time.Now).
	Now func() time.Time
}

// AuditPath is the session's audit log.
func (s *Session) AuditPath() string { return filepath.Join(s.Dir, auditFile) }

// TranscriptPath is the session's transcript.
func (s *Session) TranscriptPath() string { return filepath.Join(s.Dir, transcriptFile) }

// InteractionsPath is the session's interaction log.
func (s *Session) InteractionsPath() string { return filepath.Join(s.Dir, interactionsFile) }

// Create makes a new session directory under home (absolute; created 0700
// if missing) and takes its lock.
func Create(home string, opts CreateOptions) (*Session, error) {
	if !filepath.IsAbs(home) {
		return nil, fmt.Errorf("create session: home %q is not an absolute path", home)
	}
	home = filepath.Clean(home)
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	created := now().UTC()
	var raw [4]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("create session: id: %w", err)
	}
	s := &Session{
		ID:      created.Format("20060102-150405") + "-" + hex.EncodeToString(raw[:]),
		Model:   opts.Model,
		Created: created,
		warned:  map[Dimension]bool{},
	}
	sessions := filepath.Join(home, "sessions")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	for _, d := range []string{home, sessions} {
		if err := ensurePrivateDir(d); err != nil {
			return nil, fmt.Errorf("create session: %w", err)
		}
	}
	s.Dir = filepath.Join(sessions, s.ID)
	if opts.Workspace != "" {
		ws, err := checkWorkspace(home, opts.Workspace)
		if err != nil {
			return nil, err
		}
		s.Sandbox, s.Workspace = ws, true
	} else {
		s.Sandbox = filepath.Join(s.Dir, sandboxDir)
	}
	// Mkdir, not MkdirAll: an existing directory is a collision, never
	// somebody else's session to write into.
	if err := os.Mkdir(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	if !s.Workspace {
		if err := os.Mkdir(s.Sandbox, 0o700); err != nil {
			return nil, fmt.Errorf("create session: %w", err)
		}
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	if err := s.saveStateLocked(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// checkWorkspace resolves a workspace directory and refuses one that
// would expose IronCurtain's home (its sessions, audit logs, policy) as
// sandbox, or that lies inside it.
func checkWorkspace(home, dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("workspace %q: %w", dir, err)
	}
	abs, err = filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("workspace: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("workspace: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("workspace %s is not a directory", abs)
	}
	realHome := home
	if r, err := filepath.EvalSymlinks(home); err == nil {
		realHome = r
	}
	for _, h := range []string{home, realHome} {
		if resource.Path(abs).Within(resource.Path(h)) || resource.Path(h).Within(resource.Path(abs)) {
			return "", fmt.Errorf("workspace %s overlaps IronCurtain's home %s; choose a directory outside it", abs, h)
		}
	}
	return abs, nil
}

// ensurePrivateDir creates dir 0700 if missing and refuses a symlink or a
// non-directory in its place.
func ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// validID reports whether id can name a session directory: what Create
// makes and nothing that could leave <home>/sessions.
func validID(id string) bool {
	if id == "" || len(id) > 128 || id[0] == '.' || id[0] == '-' {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Open resumes session id under home: it reads session.json and the
// transcript strictly and takes the session's lock. A transcript whose
// last model answer asked for code that never ran (the process died) is
// completed with an error result, so the conversation stays well formed.
func Open(home, id string) (*Session, error) {
	if !filepath.IsAbs(home) {
		return nil, fmt.Errorf("resume: home %q is not an absolute path", home)
	}
	if !validID(id) {
		return nil, fmt.Errorf("resume: %q is not a session id", id)
	}
	dir := filepath.Join(filepath.Clean(home), "sessions", id)
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("resume: no session %s in %s", id, filepath.Dir(dir))
	}
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("resume: %s is not a directory", dir)
	}
	s := &Session{Dir: dir, warned: map[Dimension]bool{}}
	if err := s.lockDir(); err != nil {
		return nil, err
	}
	if err := s.readState(id); err != nil {
		s.unlock()
		return nil, err
	}
	msgs, err := readTranscript(s.TranscriptPath())
	if err != nil {
		s.unlock()
		return nil, err
	}
	s.messages = msgs
	if err := s.openTranscript(); err != nil {
		s.unlock()
		return nil, err
	}
	if fix := danglingToolUses(msgs); fix != nil {
		if err := s.AppendMessage(*fix); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Session) readState(id string) error {
	p := filepath.Join(s.Dir, stateFile)
	data, err := readSmall(p, maxStateSize)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	var st state
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return fmt.Errorf("resume: %s: %w", p, err)
	}
	if dec.More() {
		return fmt.Errorf("resume: %s: trailing data", p)
	}
	switch {
	case st.Version != stateVersion:
		return fmt.Errorf("resume: %s: version %d, want %d", p, st.Version, stateVersion)
	case st.ID != id:
		return fmt.Errorf("resume: %s: id %q, want %q", p, st.ID, id)
	case !filepath.IsAbs(st.Sandbox):
		return fmt.Errorf("resume: %s: sandbox %q is not absolute", p, st.Sandbox)
	case !st.Workspace && st.Sandbox != filepath.Join(s.Dir, sandboxDir):
		// Only a workspace may lie elsewhere; an edited path must not move
		// the sandbox (where everything is allowed) somewhere else.
		return fmt.Errorf("resume: %s: sandbox %s is not the session's own", p, st.Sandbox)
	case st.Spent.InputTokens < 0 || st.Spent.OutputTokens < 0 || st.Spent.Steps < 0 || st.Spent.WallClock < 0 || !(st.Spent.CostUSD >= 0):
		return fmt.Errorf("resume: %s: negative spent budget", p)
	}
	if st.Workspace {
		ws, err := checkWorkspace(filepath.Dir(filepath.Dir(s.Dir)), st.Sandbox)
		if err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		st.Sandbox = ws
	}
	s.ID, s.Created, s.Model, s.Sandbox, s.Workspace, s.spent = st.ID, st.Created, st.Model, st.Sandbox, st.Workspace, st.Spent
	for _, d := range st.Warned {
		if _, lim := used(Budget{1, 1, 1, 1}, Spent{}, d); lim == 0 {
			return fmt.Errorf("resume: %s: unknown budget dimension %q", p, d)
		}
		s.warned[d] = true
	}
	return nil
}

// readSmall reads a regular file of at most max bytes.
func readSmall(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return data, nil
}

// open takes the lock of a new session and opens its transcript.
func (s *Session) open() error {
	if err := s.lockDir(); err != nil {
		return err
	}
	if err := s.openTranscript(); err != nil {
		s.unlock()
		return err
	}
	return nil
}

func (s *Session) openTranscript() error {
	f, err := os.OpenFile(s.TranscriptPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return fmt.Errorf("transcript: %w", err)
	}
	s.transcript = f
	return nil
}

// Messages returns a copy of the conversation so far.
func (s *Session) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// AppendMessage adds m to the conversation and writes it to the
// transcript (synced) before returning.
func (s *Session) AppendMessage(m Message) error {
	line, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("transcript: %w", err)
	}
	if len(line) > maxTranscriptLine {
		return fmt.Errorf("transcript: message of %d bytes exceeds %d", len(line), maxTranscriptLine)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("transcript: session is closed")
	}
	if _, err := s.transcript.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("transcript: %w", err)
	}
	if err := s.transcript.Sync(); err != nil {
		return fmt.Errorf("transcript: %w", err)
	}
	s.messages = joinMessage(s.messages, m)
	return nil
}

// joinMessage appends m, joining a user message to a last user message
// (text typed after a turn that ended on tool results): providers want
// roles to alternate. The transcript keeps both lines; reading it back
// joins them the same way.
func joinMessage(msgs []Message, m Message) []Message {
	if n := len(msgs); n > 0 && m.Role == RoleUser && msgs[n-1].Role == RoleUser {
		joined := Message{Role: RoleUser, Parts: append(append([]Part(nil), msgs[n-1].Parts...), m.Parts...)}
		return append(msgs[:n-1:n-1], joined)
	}
	return append(msgs, m)
}

// Spent returns what the session has used so far.
func (s *Session) Spent() Spent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spent
}

// update changes the spent budget and warnings under the lock and saves
// the state.
func (s *Session) update(fn func(sp *Spent, warned map[Dimension]bool)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.spent, s.warned)
	return s.saveStateLocked()
}

// saveStateLocked writes session.json atomically.
func (s *Session) saveStateLocked() error {
	st := state{Version: stateVersion, ID: s.ID, Created: s.Created, Model: s.Model,
		Sandbox: s.Sandbox, Workspace: s.Workspace, Spent: s.spent, Warned: []Dimension{}}
	for _, d := range dimensionOrder() {
		if s.warned[d] {
			st.Warned = append(st.Warned, d)
		}
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("session state: %w", err)
	}
	tmp, err := os.CreateTemp(s.Dir, ".session-*.json")
	if err != nil {
		return fmt.Errorf("session state: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(s.Dir, stateFile))
	}
	if err != nil {
		return fmt.Errorf("session state: %w", err)
	}
	return nil
}

// Close releases the transcript and the lock.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.transcript != nil {
		err = s.transcript.Close()
	}
	s.unlock()
	return err
}

// readTranscript parses transcript.jsonl strictly: every line one
// well-formed message, roles alternating from user.
func readTranscript(path string) ([]Message, error) {
	data, err := readSmall(path, maxTranscriptSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, fmt.Errorf("resume: %s: last line is incomplete (the session was cut off while writing)", path)
	}
	var msgs []Message
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if len(data) == 0 {
			break
		}
		m, err := ParseMessage([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("resume: %s:%d: %w", path, i+1, err)
		}
		msgs = joinMessage(msgs, m)
	}
	if err := checkConversation(msgs); err != nil {
		return nil, fmt.Errorf("resume: %s: %w", path, err)
	}
	return msgs, nil
}
