package audit

import (
	"bytes"
	"errors"
	"strings"
	"time"
)

// Test secrets are assembled at run time so no scanner finds one in the
// repository.
func testSecrets() map[string]string {
	r := strings.Repeat
	return map[string]string{
		"anthropic":      "sk-" + "ant-api03-" + r("Ab3_", 12),
		"openai-project": "sk-" + "proj-" + r("Zx9", 16),
		"openai":         "sk-" + r("Q7w", 16),
		"github":         "gh" + "p_" + r("K4m", 12),
		"github-oauth":   "gh" + "o_" + r("P0q", 12),
		"github-pat":     "github" + "_pat_" + r("11AB", 6) + "_" + r("cd", 20),
		"aws-access-key": "AK" + "IA" + r("Z", 12) + "7Q2X",
		"aws-session":    "AS" + "IA" + r("Y", 12) + "3W4E",
		"google-api-key": "AI" + "za" + r("S9-", 11) + "xy",
		"slack":          "xo" + "xb-" + "1234567890-" + r("ab", 12),
		"private-key":    "-----BEGIN " + "RSA PRIVATE KEY-----\n" + r("MIIBOgIBAAJBAK", 3) + "\n" + r("q", 20) + "\n-----END RSA PRIVATE KEY-----",
		"bearer":         "ey" + "J" + r("hb", 10) + ".e30.sig",
		"aws-secret":     r("wJalr/", 6) + "abcd",
		"basic":          "dXNlcjpwYXNzd29yZA==",
	}
}

// memFile is a log file in memory whose writes and syncs fail on cue.
type memFile struct {
	bytes.Buffer
	failWrite, failSync int  // fail the n-th call (1-based); 0 never
	short               bool // a failing write writes half its bytes and reports no error
	writes, syncs       int
	closed              bool
}

var errInjected = errors.New("injected failure")

func (m *memFile) Write(p []byte) (int, error) {
	m.writes++
	if m.writes == m.failWrite {
		if m.short {
			m.Buffer.Write(p[:len(p)/2])
			return len(p) / 2, nil
		}
		return 0, errInjected
	}
	return m.Buffer.Write(p)
}

func (m *memFile) Sync() error {
	m.syncs++
	if m.syncs == m.failSync {
		return errInjected
	}
	return nil
}

func (m *memFile) Close() error { m.closed = true; return nil }

func testRecord(i int) Record {
	return Record{
		Timestamp:  time.Date(2025, 3, 4, 5, 6, 7, 123456789+i, time.UTC),
		RequestID:  "req-" + strings.Repeat("x", i%3) + string(rune('a'+i%26)),
		SessionID:  "s1",
		Server:     "filesystem",
		Tool:       "read_file",
		Arguments:  map[string]any{"path": "/home/u/Documents/f" + string(rune('a'+i%26))},
		Decision:   Decision{Status: DecisionAllow, Rule: "allow-docs", Reason: "Documents are readable."},
		Result:     Result{Status: ResultSuccess},
		DurationMs: 1.5,
	}
}
