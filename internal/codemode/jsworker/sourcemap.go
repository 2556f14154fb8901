package jsworker

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
)

// esbuild reprints the code, so the line numbers quickjs puts in a stack
// trace are not the agent's. The source map esbuild writes alongside
// translates them back; only the part of the format esbuild emits for a
// single source is read.
type sourceMap struct {
	lines [][]segment // by generated line, 0-based; each sorted by genCol
}

type segment struct {
	genCol, srcLine, srcCol int // 0-based
}

var errSourceMap = errors.New("malformed source map")

func parseSourceMap(data []byte) (*sourceMap, error) {
	var raw struct {
		Mappings string `json:"mappings"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	sm := &sourceMap{}
	var line []segment
	var srcIdx, srcLine, srcCol int
	s := raw.Mappings
	genCol := 0
	for len(s) > 0 {
		switch s[0] {
		case ';':
			sm.lines = append(sm.lines, line)
			line, genCol, s = nil, 0, s[1:]
			continue
		case ',':
			s = s[1:]
			continue
		}
		var fields [5]int
		n := 0
		for n < 5 && len(s) > 0 && s[0] != ',' && s[0] != ';' {
			v, rest, err := vlq(s)
			if err != nil {
				return nil, err
			}
			fields[n], s, n = v, rest, n+1
		}
		genCol += fields[0]
		if n < 4 {
			continue // a segment with no source position
		}
		srcIdx += fields[1]
		srcLine += fields[2]
		srcCol += fields[3]
		if srcIdx != 0 || genCol < 0 || srcLine < 0 || srcCol < 0 {
			return nil, errSourceMap
		}
		line = append(line, segment{genCol, srcLine, srcCol})
	}
	sm.lines = append(sm.lines, line)
	for _, l := range sm.lines {
		sort.SliceStable(l, func(i, j int) bool { return l[i].genCol < l[j].genCol })
	}
	return sm, nil
}

const base64Digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// vlq decodes one base64 VLQ number from the front of s.
func vlq(s string) (int, string, error) {
	v, shift := 0, 0
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base64Digits, s[i])
		if d < 0 || shift > 30 {
			return 0, "", errSourceMap
		}
		v |= (d & 31) << shift
		shift += 5
		if d&32 == 0 {
			if v&1 != 0 {
				return -(v >> 1), s[i+1:], nil
			}
			return v >> 1, s[i+1:], nil
		}
	}
	return 0, "", errSourceMap
}

// lookup maps a 1-based generated line and column to a 1-based position in
// the wrapped source, or ok false when the spot maps to nothing.
func (sm *sourceMap) lookup(line, col int) (srcLine, srcCol int, ok bool) {
	if sm == nil || line < 1 || line > len(sm.lines) {
		return 0, 0, false
	}
	segs := sm.lines[line-1]
	i := sort.Search(len(segs), func(i int) bool { return segs[i].genCol > col-1 }) - 1
	if i < 0 {
		if len(segs) == 0 {
			return 0, 0, false
		}
		i = 0
	}
	return segs[i].srcLine + 1, segs[i].srcCol + 1, true
}

// userPosition finds the first frame of a quickjs stack trace that lies in
// the agent's code and returns its line and column in that code. The
// prelude is evaluated as a single line, so frames on line 1 are ours.
func (sm *sourceMap) userPosition(stack string, userLines int) (line, col int, ok bool) {
	const marker = "<eval>:"
	for frames := 0; frames < 64; frames++ {
		i := strings.Index(stack, marker)
		if i < 0 {
			break
		}
		stack = stack[i+len(marker):]
		gl, rest := leadingInt(stack)
		if !strings.HasPrefix(rest, ":") {
			continue
		}
		gc, _ := leadingInt(rest[1:])
		if gl <= 1 || gc < 1 {
			continue
		}
		sl, sc, found := sm.lookup(gl, gc)
		sl -= wrapLines
		if found && sl >= 1 && sl <= userLines {
			return sl, sc, true
		}
	}
	return 0, 0, false
}

// leadingInt parses the decimal digits at the front of s (at most 9, so it
// cannot overflow); it returns 0 when there are none.
func leadingInt(s string) (int, string) {
	n, i := 0, 0
	for i < len(s) && i < 9 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, s[i:]
}
