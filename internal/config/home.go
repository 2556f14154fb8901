package config

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Layout is where IronCurtain keeps things under its home directory.
type Layout struct {
	Home      string // $IRONCURTAIN_HOME, else $HOME/.ironcurtain
	UserHome  string // $HOME: what "~" means
	Sandbox   string // <home>/sandbox
	PolicyDir string // <home>/generated
	Servers   string // <home>/mcp-servers.json
	AuditLog  string // <home>/audit.jsonl
	Config    string // <home>/config.json
	Sessions  string // <home>/sessions: per-session audit logs and escalations
}

// Resolve computes the layout from environment lookups (os.Getenv in
// production). It touches no files.
func Resolve(getenv func(string) string) (Layout, error) {
	userHome := getenv("HOME")
	if userHome == "" {
		return Layout{}, errors.New("HOME is not set; IronCurtain needs it to know what ~ means")
	}
	if !filepath.IsAbs(userHome) {
		return Layout{}, fmt.Errorf("HOME=%q is not an absolute path", userHome)
	}
	home := getenv("IRONCURTAIN_HOME")
	if home == "" {
		home = filepath.Join(userHome, ".ironcurtain")
	} else if !filepath.IsAbs(home) {
		abs, err := filepath.Abs(home)
		if err != nil {
			return Layout{}, fmt.Errorf("IRONCURTAIN_HOME=%q: %w", home, err)
		}
		home = abs
	}
	home = filepath.Clean(home)
	return Layout{
		Home:      home,
		UserHome:  filepath.Clean(userHome),
		Sandbox:   filepath.Join(home, "sandbox"),
		PolicyDir: filepath.Join(home, "generated"),
		Servers:   filepath.Join(home, "mcp-servers.json"),
		AuditLog:  filepath.Join(home, "audit.jsonl"),
		Config:    filepath.Join(home, "config.json"),
		Sessions:  filepath.Join(home, "sessions"),
	}, nil
}

// Protected lists the paths no tool call may touch: the whole home
// (the sandbox inside it is exempted by the engine), plus the policy
// directory, server config and audit log wherever they were moved to.
func (l Layout) Protected(extra ...string) []string {
	// The sessions directory is listed on its own: a sandbox inside the
	// home is exempt from the home's protection, but a sandbox set to the
	// sessions directory must still not reach other sessions' audit logs
	// and escalation answers (a session's own sandbox, deeper inside, is).
	out := []string{l.Home, l.PolicyDir, l.Servers, l.AuditLog, l.Config, l.Sessions}
	for _, p := range extra {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
