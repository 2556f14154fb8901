package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/ironcurtain/ironcurtain-go/internal/compile"
	"github.com/ironcurtain/ironcurtain-go/internal/config"
	"github.com/ironcurtain/ironcurtain-go/internal/llm"
)

const (
	// maxCustomizeTurns bounds the conversation: past it the model is not
	// converging and the user is better served editing the file.
	maxCustomizeTurns = 12
	// maxAnswerLine bounds one line the user types.
	maxAnswerLine = 16 << 10
	toolPropose   = "propose_constitution"
	userFileName  = "constitution-user.md"
)

const customizeSystem = `You help a person write the user part of the constitution for IronCurtain, a runtime that lets an AI agent act only through tool calls checked against a policy.
The constitution is plain English. It says what the agent may do on its own, what it must ask the person about first, and what it must never do: which directories it may read or write, which web sites it may fetch, which git remotes it may push to, and so on.
A fixed base constitution already protects credentials, the system and IronCurtain's own files; do not repeat it.
Ask at most a few short questions, one at a time, when the person's wishes are unclear. When you know enough, call propose_constitution with the complete text: short Markdown bullet points under the headings "Allowed", "Ask first" and "Never", in the person's terms, with concrete paths (~/...) and domains.
If the person rejects a proposal, take their comments into account and propose again.`

const initialQuestion = "What should the agent be allowed to do on its own, what should it ask you about first,\n" +
	"and what must it never do? (For example: which folders it may read or change, which web\n" +
	"sites it may visit, where it may push code.)"

func newCustomizePolicyCmd(e env) *cobra.Command {
	var model string
	cmd := &cobra.Command{
		Use:   "customize-policy",
		Short: "Write your constitution in a short conversation with an LLM",
		Long: "A short conversation on the terminal that proposes the text of <home>/constitution-user.md.\n" +
			"The text is shown and saved only when you answer yes; then compile-policy can be run.\n" +
			"End of input quits without saving. Exit status: 0 done or quit, 1 no proposal, 2 bad usage.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCustomize(cmd, e, model) },
	}
	cmd.Flags().StringVarP(&model, "model", "m", defaultCompileModel, "model as PROVIDER:MODEL")
	return cmd
}

// errQuit is end of input: the user left, nothing is saved.
var errQuit = errors.New("quit")

// lineReader reads the user's answers one line at a time.
type lineReader struct{ s *bufio.Scanner }

func newLineReader(r io.Reader) *lineReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 4096), maxAnswerLine)
	return &lineReader{s: s}
}

func (l *lineReader) line() (string, error) {
	if l.s.Scan() {
		return strings.TrimSpace(l.s.Text()), nil
	}
	if err := l.s.Err(); err != nil {
		return "", fmt.Errorf("standard input: %w", err)
	}
	return "", errQuit
}

// ask prints a prompt and reads one non-empty answer.
func (l *lineReader) ask(w io.Writer, prompt string) (string, error) {
	for {
		fmt.Fprint(w, prompt)
		s, err := l.line()
		if err != nil || s != "" {
			return s, err
		}
	}
}

func yes(s string) bool { return s == "y" || s == "Y" || strings.EqualFold(s, "yes") }

func runCustomize(cmd *cobra.Command, e env, model string) error {
	layout, err := config.Resolve(e.getenv)
	if err != nil {
		return badInput(err)
	}
	settings, err := config.LoadSettings(layout.Config)
	if err != nil {
		return badInput(err)
	}
	provider, err := llm.New(model, llm.Config{Getenv: e.getenv, ConfigPath: layout.Config, Keys: settings.Keys, BaseURLs: settings.BaseURLs})
	if err != nil {
		return badInput(err)
	}
	target := filepath.Join(layout.Home, userFileName)
	current, err := readBounded(target)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return badInput(err)
	}
	// Every model request is kept, as for the other LLM commands; the log
	// is opened only once the conversation starts.
	logged := &loggingProvider{Provider: provider, path: filepath.Join(layout.PolicyDir, "llm-interactions.jsonl")}
	defer logged.close()
	in := newLineReader(e.stdin)
	text, err := converse(cmd.Context(), e, in, logged, string(current))
	if errors.Is(err, errQuit) {
		fmt.Fprintln(e.stdout, "\nNothing saved.")
		return nil
	}
	if err != nil {
		return err
	}
	if err := writePrivate(layout.Home, target, []byte(text)); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Saved %s\n", target)
	fmt.Fprint(e.stdout, "Compile now? [y/N] ")
	if ans, err := in.line(); err != nil || !yes(ans) {
		fmt.Fprintln(e.stdout, "Run `ironcurtain compile-policy` to compile it.")
		return nil
	}
	return runCompilePolicy(cmd, e, compileFlags{model: model, concurrent: compile.DefaultMaxConcurrent})
}

// converse runs the conversation until the user accepts a proposal; it
// returns the accepted text, or errQuit at end of input.
func converse(ctx context.Context, e env, in *lineReader, provider llm.Provider, current string) (string, error) {
	fmt.Fprintln(e.stdout, initialQuestion)
	first, err := in.ask(e.stdout, "> ")
	if err != nil {
		return "", err
	}
	intro := "The person says:\n<answer>\n" + first + "\n</answer>\n"
	if strings.TrimSpace(current) != "" {
		intro = "Their current user constitution is:\n<current>\n" + current + "\n</current>\n\n" + intro
	}
	msgs := []llm.Message{userText(intro)}
	tool := llm.Tool{Name: toolPropose, Description: "Propose the complete text of the user constitution.",
		InputSchema: json.RawMessage(`{"type":"object","required":["text"],"additionalProperties":false,"properties":{"text":{"type":"string"}}}`)}
	for range maxCustomizeTurns {
		resp, err := provider.Complete(ctx, llm.Request{System: customizeSystem, Messages: msgs, Tools: []llm.Tool{tool}, MaxTokens: 4096})
		if err != nil {
			return "", err
		}
		msgs = append(msgs, llm.Message{Role: llm.RoleAssistant, Parts: nonEmptyParts(resp.Parts)})
		uses := resp.ToolUses()
		if len(uses) == 0 {
			fmt.Fprintln(e.stdout, screenText(resp.Text()))
			ans, err := in.ask(e.stdout, "> ")
			if err != nil {
				return "", err
			}
			msgs = append(msgs, userText(ans))
			continue
		}
		var reply []llm.Part
		for i, u := range uses {
			content, isErr := "Only one propose_constitution call per turn is answered.", true
			if u.ToolName == toolPropose && i == 0 {
				var text string
				if text, err = proposal(u.Input); err == nil {
					ok, comments, aerr := review(e, in, text)
					if aerr != nil {
						return "", aerr
					}
					if ok {
						return text, nil
					}
					content, isErr = "The person rejected the proposal. Their comments: "+comments, false
				} else {
					content = "Rejected: " + err.Error()
				}
			}
			reply = append(reply, llm.Part{Type: llm.PartToolResult, ToolResultID: u.ToolUseID, Content: content, IsError: isErr})
		}
		msgs = append(msgs, llm.Message{Role: llm.RoleUser, Parts: reply})
	}
	fmt.Fprintf(e.stderr, "no accepted proposal after %d model turns; nothing saved\n", maxCustomizeTurns)
	return "", errFailed
}

// proposal validates a proposed text: a valid constitution without
// terminal controls, so what the user is shown is exactly what is saved.
func proposal(raw json.RawMessage) (string, error) {
	var in struct {
		Text string `json:"text"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return "", fmt.Errorf("the input must be {\"text\": string}: %w", err)
	}
	text := strings.TrimSpace(in.Text) + "\n"
	if err := compile.CheckConstitution("proposal", []byte(text)); err != nil {
		return "", err
	}
	if screenText(text) != text {
		return "", errors.New("the text contains control characters")
	}
	return text, nil
}

// review shows a proposal and asks whether to save it; on no it asks what
// should change.
func review(e env, in *lineReader, text string) (bool, string, error) {
	fmt.Fprintf(e.stdout, "\nProposed %s:\n----\n%s----\n", userFileName, text)
	ans, err := in.ask(e.stdout, "Save? [y/N] ")
	if err != nil {
		return false, "", err
	}
	if yes(ans) {
		return true, "", nil
	}
	comments, err := in.ask(e.stdout, "What should change?\n> ")
	return false, comments, err
}

func userText(s string) llm.Message {
	return llm.Message{Role: llm.RoleUser, Parts: []llm.Part{{Type: llm.PartText, Text: s}}}
}

func nonEmptyParts(p []llm.Part) []llm.Part {
	if len(p) == 0 {
		return []llm.Part{{Type: llm.PartText, Text: "(no answer)"}}
	}
	return p
}

// screenText drops terminal controls from model text shown to the user,
// keeping line breaks and tabs.
func screenText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
}

// writePrivate writes the user's constitution 0600 through a synced
// temporary and a rename, so a crash never leaves half a file.
func writePrivate(home, name string, data []byte) error {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", home, err)
	}
	f, err := os.CreateTemp(home, "."+userFileName+"-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// loggingProvider appends each request and response to the interactions
// log (no key is in either), opening the file on first use.
type loggingProvider struct {
	llm.Provider
	path string

	mu  sync.Mutex // guards f and err
	f   *os.File
	err error
}

func (p *loggingProvider) Complete(ctx context.Context, req llm.Request) (*llm.Response, error) {
	start := time.Now()
	resp, err := p.Provider.Complete(ctx, req)
	line := struct {
		Time     string        `json:"time"`
		Purpose  string        `json:"purpose"`
		Model    string        `json:"model"`
		System   string        `json:"system"`
		Messages []llm.Message `json:"messages"`
		Response *llm.Response `json:"response,omitempty"`
		Error    string        `json:"error,omitempty"`
		Millis   int64         `json:"durationMs"`
	}{start.UTC().Format(time.RFC3339Nano), "customize", p.Name(), req.System, req.Messages, resp, "", time.Since(start).Milliseconds()}
	if err != nil {
		line.Error = err.Error()
	}
	if werr := p.write(line); werr != nil {
		return nil, fmt.Errorf("interactions log: %w", werr)
	}
	return resp, err
}

func (p *loggingProvider) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil && p.err == nil {
		if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
			p.err = err
		} else {
			p.f, p.err = os.OpenFile(p.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		}
	}
	if p.err != nil {
		return p.err
	}
	_, err = p.f.Write(append(b, '\n'))
	return err
}

func (p *loggingProvider) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f != nil {
		p.f.Close()
	}
}
