package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/ironcurtain/ironcurtain-go/internal/jsondoc"
)

// Settings are the user's choices in <home>/config.json. Zero fields mean
// "not set": the built-in default (or a flag) applies.
type Settings struct {
	// EscalationTimeout is how long an escalation waits for a person
	// before it counts as denied (5 s to 1 h).
	EscalationTimeout time.Duration
	// ResultLimit bounds a tool result, in bytes.
	ResultLimit int
	// Keys are LLM provider API keys by provider name ("anthropic",
	// "openai", "openai-compatible"); the environment wins over them.
	Keys map[string]string
	// BaseURLs are provider endpoints by provider name.
	BaseURLs map[string]string
}

// LoadSettings reads config.json; a missing file is no settings. A file
// that holds API keys must be readable by its owner only (0600).
func LoadSettings(path string) (Settings, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Settings{}, nil
	}
	if err != nil {
		return Settings{}, err
	}
	s, err := ParseSettings(path, data)
	if err != nil {
		return Settings{}, err
	}
	if len(s.Keys) > 0 {
		fi, err := os.Stat(path)
		if err != nil {
			return Settings{}, err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return Settings{}, fmt.Errorf("%s holds API keys but is readable by others (mode %04o); run chmod 600 %s", path, fi.Mode().Perm(), path)
		}
	}
	return s, nil
}

// ParseSettings validates config.json data strictly: unknown fields are
// errors, so a misspelt setting is not silently ignored.
func ParseSettings(file string, data []byte) (Settings, error) {
	root, err := jsondoc.Parse(data, 1<<20)
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", file, err)
	}
	c := &jsondoc.Checker{File: file}
	var s Settings
	if c.Object(root, "escalationTimeoutSeconds", "resultLimitBytes", "keys", "baseURLs") {
		s.Keys = providerMap(c, root.Get("keys"))
		s.BaseURLs = providerMap(c, root.Get("baseURLs"))
		if v := root.Get("escalationTimeoutSeconds"); v != nil {
			if n, ok := integer(c, v, 5, 3600); ok {
				s.EscalationTimeout = time.Duration(n) * time.Second
			}
		}
		if v := root.Get("resultLimitBytes"); v != nil {
			if n, ok := integer(c, v, 1024, 64<<20); ok {
				s.ResultLimit = int(n)
			}
		}
	}
	if err := c.Err(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

func integer(c *jsondoc.Checker, v *jsondoc.Value, lo, hi int64) (int64, bool) {
	if v.Kind != jsondoc.Number {
		c.Errorf(v, "must be a number, not %s", v.Kind)
		return 0, false
	}
	var n int64
	if _, err := fmt.Sscan(v.Text, &n); err != nil || fmt.Sprint(n) != v.Text {
		c.Errorf(v, "must be a whole number, not %s", v.Text)
		return 0, false
	}
	if n < lo || n > hi {
		c.Errorf(v, "must be between %d and %d, not %d", lo, hi, n)
		return 0, false
	}
	return n, true
}

// providerMap reads {"anthropic": "...", ...}: only known provider names,
// non-empty strings.
func providerMap(c *jsondoc.Checker, v *jsondoc.Value) map[string]string {
	if v == nil || !c.Object(v, "anthropic", "openai", "openai-compatible") {
		return nil
	}
	out := make(map[string]string, len(v.Members))
	for _, m := range v.Members {
		if s, ok := c.NonEmptyString(m.Value); ok {
			out[m.Key] = s
		}
	}
	return out
}
