package audit

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// goodLog returns a log of n records, as lines without newlines.
func goodLog(t testing.TB, n int) [][]byte {
	t.Helper()
	var m memFile
	l := newLog("mem", &m, ChainStart)
	for i := range n {
		if err := l.Append(context.Background(), testRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
	return bytes.Split(bytes.TrimSuffix(m.Bytes(), []byte("\n")), []byte("\n"))
}

func joinLines(lines ...[]byte) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestVerify(t *testing.T) {
	g := goodLog(t, 5)
	edited := bytes.Replace(g[1], []byte("read_file"), []byte("edit_file"), 1)
	forged := bytes.Replace(g[0], []byte(ChainStart), []byte(strings.Repeat("a", 64)), 1)
	whole := joinLines(g...)
	tests := []struct {
		name     string
		data     []byte
		wantN    int
		wantLine int // 0: no break
		reason   string
	}{
		{"intact", whole, 5, 0, ""},
		{"empty file", nil, 0, 0, ""},
		{"edited line", joinLines(g[0], edited, g[2], g[3], g[4]), 2, 3, "line 2 was changed"},
		{"deleted line", joinLines(g[0], g[1], g[3], g[4]), 2, 3, "does not match the hash of line 2"},
		{"deleted first line", joinLines(g[1:]...), 0, 1, "not the chain start"},
		{"forged first prev", joinLines(forged, g[1]), 0, 1, "not the chain start"},
		{"reordered", joinLines(g[0], g[2], g[1], g[3], g[4]), 1, 2, "does not match the hash of line 1"},
		{"inserted copy", joinLines(g[0], g[1], g[1], g[2], g[3], g[4]), 2, 3, "does not match"},
		{"inserted foreign line", joinLines(g[0], []byte(`{"prev":"`+Hash(g[0])+`"}`), g[1]), 2, 3, "does not match"},
		{"truncated last line", whole[:len(whole)-10], 4, 5, "truncated last line"},
		{"missing final newline", whole[:len(whole)-1], 4, 5, "truncated last line"},
		{"empty line", joinLines(g[0], nil, g[1]), 1, 2, "empty line"},
		{"bad json", joinLines(g[0], []byte(`{"prev":`)), 1, 2, "not valid JSON"},
		{"not an object", joinLines(g[0], []byte(`["prev"]`)), 1, 2, "not a JSON object"},
		{"no prev", joinLines(g[0], []byte(`{"tool":"x"}`)), 1, 2, "no prev field"},
		{"prev not a string", joinLines([]byte(`{"prev":7}`)), 0, 1, "prev is not a string"},
		{"prev not hex", joinLines([]byte(`{"prev":"` + strings.Repeat("G", 64) + `"}`)), 0, 1, "not a hex SHA-256"},
		{"invalid utf-8", joinLines(g[0], []byte("{\"prev\":\"\xff\"}")), 1, 2, "not valid UTF-8"},
		{"line too long", joinLines(g[0], bytes.Repeat([]byte("x"), MaxLineSize+1)), 1, 2, "line longer than"},
		{"torn after crash", append(joinLines(g[0]), 0, 0, 0), 1, 2, "truncated last line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Verify(bytes.NewReader(tc.data))
			if n != tc.wantN {
				t.Errorf("Verify(%s) n = %d, want %d", tc.name, n, tc.wantN)
			}
			if tc.wantLine == 0 {
				if err != nil {
					t.Errorf("Verify(%s) = %v, want nil", tc.name, err)
				}
				return
			}
			var be *BreakError
			if !errors.As(err, &be) {
				t.Fatalf("Verify(%s) = %v, want a *BreakError", tc.name, err)
			}
			if be.Line != tc.wantLine || !strings.Contains(be.Reason, tc.reason) {
				t.Errorf("Verify(%s) = line %d: %s, want line %d: ...%s...", tc.name, be.Line, be.Reason, tc.wantLine, tc.reason)
			}
		})
	}
}

func TestVerifyHead(t *testing.T) {
	g := goodLog(t, 3)
	head := Hash(g[2])
	lastEdited := bytes.Replace(g[2], []byte("read_file"), []byte("edit_file"), 1)
	tests := []struct {
		name     string
		data     []byte
		head     string
		wantLine int
	}{
		{"intact", joinLines(g...), head, 0},
		{"last line cut", joinLines(g[:2]...), head, 2},
		{"last line edited", joinLines(g[0], g[1], lastEdited), head, 3},
		{"emptied", nil, head, 1},
		{"empty and expected", nil, ChainStart, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyHead(bytes.NewReader(tc.data), tc.head)
			var be *BreakError
			switch {
			case tc.wantLine == 0 && err != nil:
				t.Errorf("VerifyHead(%s) = %v, want nil", tc.name, err)
			case tc.wantLine != 0 && (!errors.As(err, &be) || be.Line != tc.wantLine):
				t.Errorf("VerifyHead(%s) = %v, want a break at line %d", tc.name, err, tc.wantLine)
			}
		})
	}
}

func TestVerifyReadError(t *testing.T) {
	g := goodLog(t, 2)
	r := iotest.TimeoutReader(bytes.NewReader(joinLines(g...)))
	// TimeoutReader fails its second read; a tiny first read makes that
	// happen mid-file.
	n, err := Verify(iotest.OneByteReader(r))
	var be *BreakError
	if err == nil || errors.As(err, &be) || n != 0 {
		t.Errorf("Verify(failing reader) = %d, %v, want 0 and a read error", n, err)
	}
}

func TestVerifyHeadRefusesBadHead(t *testing.T) {
	if _, err := VerifyHead(bytes.NewReader(nil), "nothex"); err == nil || errors.As(err, new(*BreakError)) {
		t.Errorf("VerifyHead(head %q) = %v, want a plain error", "nothex", err)
	}
}
