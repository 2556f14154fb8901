package jsworker

import (
	"encoding/json"
	"testing"

	"github.com/ironcurtain/ironcurtain-go/internal/runnerproto"
)

func TestSourceMapLookup(t *testing.T) {
	// Generated line 1 maps nothing; line 2 column 0 maps to source line 2
	// column 0 ("AACA"), column 4 to source line 2 column 6 ("IAAM").
	sm, err := parseSourceMap([]byte(`{"mappings":";AACA,IAAM"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line, col    int
		wantL, wantC int
		wantOK       bool
	}{
		{1, 1, 0, 0, false},
		{2, 1, 2, 1, true},
		{2, 4, 2, 1, true},
		{2, 5, 2, 7, true},
		{2, 99, 2, 7, true},
		{3, 1, 0, 0, false},
	}
	for _, tc := range tests {
		l, c, ok := sm.lookup(tc.line, tc.col)
		if ok != tc.wantOK || (ok && (l != tc.wantL || c != tc.wantC)) {
			t.Errorf("lookup(%d, %d) = %d, %d, %v; want %d, %d, %v", tc.line, tc.col, l, c, ok, tc.wantL, tc.wantC, tc.wantOK)
		}
	}
	if l, c, ok := sm.userPosition("    at f (<eval>:1:9)\n    at <anonymous> (<eval>:2:5)\n", 5); !ok || l != 1 || c != 7 {
		t.Errorf("userPosition = %d, %d, %v; want 1, 7, true (the prelude's line-1 frame skipped)", l, c, ok)
	}
}

// FuzzSourceMap: hostile source maps and stack traces never panic.
func FuzzSourceMap(f *testing.F) {
	f.Add(`;AACA,IAAM;;gBAAgB`, "at <eval>:2:5")
	f.Add(`AAAA,+/+/+/+/+/+/+/`, "(<eval>:999999999999:1)")
	f.Add(`;;;;C,D,E`, "<eval>:3:")
	f.Fuzz(func(t *testing.T, mappings, stack string) {
		data, _ := json.Marshal(map[string]string{"mappings": mappings})
		sm, err := parseSourceMap(data)
		if err != nil {
			return
		}
		for line := 0; line < 4; line++ {
			for col := 0; col < 4; col++ {
				sm.lookup(line, col)
			}
		}
		if l, _, ok := sm.userPosition(stack, 3); ok && (l < 1 || l > 3) {
			t.Fatalf("userPosition gave line %d outside 1..3", l)
		}
	})
}

// FuzzDecodeResult: whatever the parent sends as a result, the script
// gets a kind it understands and never a panic.
func FuzzDecodeResult(f *testing.F) {
	f.Add(`[{"type":"text","text":"hi"}]`, false, "", "")
	f.Add(`[{"type":"image","data":"AA=="},{"type":"text"}]`, true, "", "")
	f.Add(`{"type":"text"}`, false, "", "")
	f.Add(`[1,null,"x"]`, true, "no", "err")
	f.Fuzz(func(t *testing.T, content string, isError bool, denied, failure string) {
		kind, _ := decodeResult(&runnerproto.ToolResult{Content: json.RawMessage(content), IsError: isError, Denied: denied, Error: failure})
		if kind < resText || kind > resError {
			t.Fatalf("decodeResult kind %d", kind)
		}
		if denied != "" && kind != resDenied {
			t.Fatalf("a denial came back as kind %d", kind)
		}
	})
}
