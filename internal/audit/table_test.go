package audit

import (
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"plain", 0, "plain"},
		{"a\x1b[2Jb", 0, "a?[2Jb"},
		{"line\nfake row\r", 0, "line?fake row?"},
		{"bidi \u202egnp.exe", 0, "bidi ?gnp.exe"},
		{"zero\u200bwidth", 0, "zero?width"},
		{"sep\u2028x\u2029", 0, "sep?x?"},
		{"c1 \u009b31m", 0, "c1 ?31m"},
		{"bad \xff utf8", 0, "bad ? utf8"},
		{"abcdef", 4, "abc…"},
		{"abcd", 4, "abcd"},
		{"ééééé", 3, "éé…"},
	}
	for _, tc := range tests {
		if got := Sanitize(tc.in, tc.limit); got != tc.want {
			t.Errorf("Sanitize(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestFormatRow(t *testing.T) {
	r := Record{
		Timestamp:  time.Date(2025, 1, 2, 13, 4, 5, 0, time.UTC),
		Server:     "filesystem",
		Tool:       "write_file\x1b]0;pwned\x07",
		Arguments:  map[string]any{"path": "/tmp/x\n2025 fake allow", "content": strings.Repeat("z", 200)},
		Decision:   Decision{Status: DecisionEscalate, Rule: "escalate-writes"},
		Escalation: &Escalation{Outcome: OutcomeApproved, By: "terminal"},
		Result:     Result{Status: ResultError, Error: "disk full"},
		DurationMs: 12.34,
	}
	row := FormatRow(r, time.FixedZone("T", 2*3600))
	for _, want := range []string{"15:04:05 ", "filesystem/write_file?]0;pwned?", "escalate/approved escalate-writes", "error: disk full", "12.3ms", `{"content":"zzz`} {
		if !strings.Contains(row, want) {
			t.Errorf("FormatRow = %q, want it to contain %q", row, want)
		}
	}
	for _, c := range row {
		if unicode.IsControl(c) {
			t.Fatalf("FormatRow = %q: contains control character %U", row, c)
		}
	}
	if !strings.HasSuffix(row, "…") {
		t.Errorf("FormatRow = %q, want long arguments cut with …", row)
	}
	header := TableHeader()
	if i, j := strings.Index(header, "DURATION"), strings.Index(row, "12.3ms"); len([]rune(header[:i])) != len([]rune(row[:j])) {
		t.Errorf("DURATION column at rune %d in the header, %d in the row", len([]rune(header[:i])), len([]rune(row[:j])))
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		ms   float64
		want string
	}{
		{0.25, "250µs"},
		{1, "1.0ms"},
		{999.94, "999.9ms"},
		{1500, "1.50s"},
	}
	for _, tc := range tests {
		if got := formatDuration(tc.ms); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.ms, got, tc.want)
		}
	}
}

func TestSafeJSON(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`{ "a" : [1, 2] }`, `{"a":[1,2]}`, true},
		{"{\"a\":\"\u009b31m\u202e\"}", `{"a":"\u009b31m\u202e"}`, true},
		{"{\"a\":\"\U000e0041\"}", `{"a":"\udb40\udc41"}`, true},
		{"{\"a\":1,\r\"b\":2}", `{"a":1,"b":2}`, true},
		{`{"a":"\u001b"}`, `{"a":"\u001b"}`, true},
		{"{\"a\":\"\xff\"}", "", false},
		{`{"a":`, "", false},
	}
	for _, tc := range tests {
		got, err := SafeJSON([]byte(tc.in))
		if (err == nil) != tc.ok || string(got) != tc.want {
			t.Errorf("SafeJSON(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
