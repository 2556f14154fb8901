package escalate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Timeout bounds. The defaults match the TypeScript IronCurtain; the bounds
// keep a typo from either denying before anyone can read the prompt or
// leaving a call hanging for a day.
const (
	DefaultTimeout      = 300 * time.Second
	MinTimeout          = 5 * time.Second
	MaxTimeout          = time.Hour
	DefaultPollInterval = 200 * time.Millisecond
	maxPollInterval     = 10 * time.Second
)

// Prompter asks a human inline, in the terminal that runs the session.
//
// Ask calls Prompt in its own goroutine once the request file is
// published, so the same request can also be answered from another
// terminal; ctx is cancelled as soon as the request ends any other way
// (answer file, timeout, the caller's cancel) and Prompt must then return
// promptly. Prompt may be called for several requests at once. An error
// means "no inline answer": it is logged and the request keeps waiting for
// an answer file or the timeout. Any Outcome other than Approved is taken
// as Denied.
type Prompter interface {
	Prompt(ctx context.Context, req Request) (Answer, error)
}

// Config configures a Broker for one session.
type Config struct {
	// Home is IronCurtain's home directory (absolute).
	Home string
	// SessionID names the session's directory under <home>/sessions.
	SessionID string
	// Timeout is how long a request waits before it is a deny: 0 means
	// DefaultTimeout, anything else must lie in [MinTimeout, MaxTimeout].
	Timeout time.Duration
	// Prompter answers inline; nil means the session has no terminal and
	// requests wait for `ironcurtain escalations` or the timeout.
	Prompter Prompter
	// Clock is read for a request's creation time and, on every poll, to
	// decide whether it has expired; nil means time.Now.
	Clock func() time.Time
	// PollInterval is how often answer files are looked for; 0 means
	// DefaultPollInterval, at most 10 s.
	PollInterval time.Duration
	// Log receives ignored answer files and failed prompts; nil discards.
	Log *slog.Logger
}

// Broker runs the escalations of one session. It is safe for concurrent
// use: each Ask waits on its own, and the only shared state (the
// whitelist) is locked for lookups and appends, never while anyone waits.
type Broker struct {
	dir      string // the session's escalations directory; immutable
	session  string
	timeout  time.Duration
	poll     time.Duration
	prompter Prompter
	now      func() time.Time
	log      *slog.Logger

	mu        sync.RWMutex // guards whitelist
	whitelist []entry
}

// New checks cfg and creates the session's escalation directory (0700,
// and every directory from Home down must be owned by the current user
// and not group- or world-writable).
func New(cfg Config) (*Broker, error) {
	b := &Broker{
		session:  cfg.SessionID,
		timeout:  cfg.Timeout,
		poll:     cfg.PollInterval,
		prompter: cfg.Prompter,
		now:      cfg.Clock,
		log:      cfg.Log,
	}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	if b.timeout < MinTimeout || b.timeout > MaxTimeout {
		return nil, fmt.Errorf("escalate: timeout %v is outside %v..%v", cfg.Timeout, MinTimeout, MaxTimeout)
	}
	if b.poll == 0 {
		b.poll = DefaultPollInterval
	}
	if b.poll < 0 || b.poll > maxPollInterval {
		return nil, fmt.Errorf("escalate: poll interval %v is outside (0, %v]", cfg.PollInterval, maxPollInterval)
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	dir, err := secureEscalationsDir(cfg.Home, cfg.SessionID, true)
	if err != nil {
		return nil, fmt.Errorf("escalate: %w", err)
	}
	b.dir = dir
	return b, nil
}

// Dir returns the session's escalation directory.
func (b *Broker) Dir() string { return b.dir }

// Ask publishes req and blocks until it is answered inline or by an answer
// file (whichever comes first), until the timeout (Outcome TimedOut, which
// the caller must treat as a deny), or until ctx is done (an error). Both
// files are removed before it returns. An error means the human was not
// asked or did not answer: the caller denies.
func (b *Broker) Ask(ctx context.Context, req Request) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{}, fmt.Errorf("escalate: %w", err)
	}
	req, err := b.prepare(req)
	if err != nil {
		return Answer{}, err
	}
	created := b.now()
	expires := created.Add(b.timeout)
	data, err := encodeRequest(req, created, expires)
	if err != nil {
		return Answer{}, fmt.Errorf("escalate: %w", err)
	}
	reqPath := filepath.Join(b.dir, requestName(req.ID))
	respPath := filepath.Join(b.dir, responseName(req.ID))
	if _, err := os.Lstat(reqPath); err == nil {
		return Answer{}, fmt.Errorf("escalate: request %s is already pending", req.ID)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Answer{}, fmt.Errorf("escalate: %w", err)
	}
	// An answer that exists before its request cannot be for it.
	if err := os.Remove(respPath); err == nil {
		b.log.Warn("escalate: removed an answer file written before its request", "id", req.ID)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Answer{}, fmt.Errorf("escalate: clear %s: %w", respPath, err)
	}
	if err := writeFileAtomic(b.dir, requestName(req.ID), data, false); err != nil {
		return Answer{}, fmt.Errorf("escalate: %w", err)
	}
	defer func() {
		// Request first: while it exists its answer must too, or the
		// listing would offer an answered request as pending again.
		_ = os.Remove(reqPath)
		_ = os.Remove(respPath)
	}()

	type prompted struct {
		a   Answer
		err error
	}
	var inline chan prompted
	if b.prompter != nil {
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		inline = make(chan prompted, 1) // the goroutine never blocks on send
		go func() {
			a, err := b.prompter.Prompt(pctx, req)
			inline <- prompted{a, err}
		}()
	}
	tick := time.NewTicker(b.poll)
	defer tick.Stop()
	var rejected fs.FileInfo // the answer file last rejected, to log it once
	for {
		select {
		case <-ctx.Done():
			return Answer{}, fmt.Errorf("escalate %s: %w", req.ID, ctx.Err())
		case p := <-inline:
			inline = nil // a nil channel never fires again
			if p.err != nil {
				b.log.Warn("escalate: inline prompt failed; waiting for an answer file", "id", req.ID, "err", p.err)
				continue
			}
			return inlineAnswer(p.a), nil
		case <-tick.C:
			if a, ok := b.fileAnswer(req.ID, reqPath, respPath, &rejected); ok {
				return a, nil
			}
			if !b.now().Before(expires) {
				return Answer{Outcome: TimedOut}, nil
			}
		}
	}
}

// prepare copies req with its ID and session filled in and checked.
func (b *Broker) prepare(req Request) (Request, error) {
	if req.SessionID == "" {
		req.SessionID = b.session
	}
	if req.SessionID != b.session {
		return req, fmt.Errorf("escalate: request for session %q sent to the broker of session %q", req.SessionID, b.session)
	}
	if req.Server == "" || req.Tool == "" {
		return req, errors.New("escalate: request names no server or tool")
	}
	if req.ID == "" {
		var raw [16]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return req, fmt.Errorf("escalate: request id: %w", err)
		}
		req.ID = hex.EncodeToString(raw[:])
	}
	if !validName(req.ID) {
		return req, fmt.Errorf("escalate: request id %q: want 1-128 letters, digits, '.', '_' or '-', not starting with '.'", req.ID)
	}
	return req, nil
}

// inlineAnswer fails closed on whatever a Prompter returns: only Approved
// approves, and only an approval can ask for a whitelist entry.
func inlineAnswer(a Answer) Answer {
	if a.By == "" {
		a.By = "terminal"
	}
	if a.Outcome != Approved {
		return Answer{Outcome: Denied, By: a.By}
	}
	return a
}

// fileAnswer looks for the request's answer file. A file that exists but
// does not pass every check is ignored, and logged once per version of it
// (*rejected remembers the last), so a file still being written by hand is
// looked at again once it changes and Respond can replace a bad one.
func (b *Broker) fileAnswer(id, reqPath, respPath string, rejected *fs.FileInfo) (Answer, bool) {
	lfi, err := os.Lstat(respPath)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			b.log.Warn("escalate: cannot look for an answer file", "id", id, "err", err)
		}
		return Answer{}, false
	}
	if sameVersion(lfi, *rejected) {
		return Answer{}, false
	}
	reject := func(err error) (Answer, bool) {
		*rejected = lfi
		b.log.Warn("escalate: ignored answer file", "id", id, "err", err)
		return Answer{}, false
	}
	data, fi, err := readOwnedFile(respPath, maxAnswerSize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Answer{}, false
		}
		return reject(err)
	}
	if !sameVersion(lfi, fi) {
		return Answer{}, false // replaced while we looked; look again next time
	}
	if _, err := os.Lstat(reqPath); err != nil {
		return reject(fmt.Errorf("its request file is gone: %w", err))
	}
	a, err := parseAnswer(data)
	if err != nil {
		return reject(err)
	}
	return a, true
}
