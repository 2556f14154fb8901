package filesystem

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

const (
	// maxPatternLen and maxAlternatives bound a compiled glob; both are far
	// beyond any pattern a person writes and keep hostile ones cheap.
	maxPatternLen   = 1024
	maxAlternatives = 64
)

// glob is a compiled pattern in the dialect of the reference server's
// matcher (minimatch with dot files included): "*" and "?" match within
// one path segment, "[...]" is a class ("!" or "^" negates), "{a,b}"
// gives alternatives, "**" as a whole segment matches any number of
// segments, and "\" escapes the next character.
type glob struct {
	alts [][]segment
}

// segment is one slash-separated part of a pattern; doubleStar marks "**".
type segment struct {
	doubleStar bool
	toks       []token
}

type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokAny               // ?
	tokStar              // *
	tokClass             // [...]
)

type token struct {
	kind   tokenKind
	r      rune
	negate bool
	ranges []runeRange
}

type runeRange struct{ lo, hi rune }

func compileGlob(pattern string) (*glob, error) {
	if pattern == "" {
		return nil, errors.New("empty pattern")
	}
	if len(pattern) > maxPatternLen {
		return nil, fmt.Errorf("pattern longer than %d bytes", maxPatternLen)
	}
	if !utf8.ValidString(pattern) {
		return nil, errors.New("pattern is not valid UTF-8")
	}
	alts, err := expandBraces(pattern)
	if err != nil {
		return nil, err
	}
	g := &glob{}
	for _, alt := range alts {
		var segs []segment
		for part := range strings.SplitSeq(alt, "/") {
			if part == "**" {
				segs = append(segs, segment{doubleStar: true})
				continue
			}
			segs = append(segs, segment{toks: tokenize(part)})
		}
		g.alts = append(g.alts, segs)
	}
	return g, nil
}

// expandBraces expands the first top-level {a,b,...} group and recurses
// on the results. Braces without a comma, or without a closing brace, are
// literal.
func expandBraces(p string) ([]string, error) {
	out := []string{p}
	for range maxAlternatives {
		var next []string
		changed := false
		for _, s := range out {
			exp, ok := expandFirstGroup(s)
			if ok {
				changed = true
			}
			next = append(next, exp...)
			if len(next) > maxAlternatives {
				return nil, fmt.Errorf("pattern has more than %d brace alternatives", maxAlternatives)
			}
		}
		out = next
		if !changed {
			return out, nil
		}
	}
	return nil, fmt.Errorf("pattern nests braces too deeply")
}

// expandFirstGroup expands the first brace group that has a top-level
// comma; ok is false if there is none.
func expandFirstGroup(s string) ([]string, bool) {
	for open := 0; open < len(s); open++ {
		switch s[open] {
		case '\\':
			open++
			continue
		case '{':
		default:
			continue
		}
		depth := 0
		var commas []int
		for i := open; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '{':
				depth++
			case ',':
				if depth == 1 {
					commas = append(commas, i)
				}
			case '}':
				depth--
				if depth == 0 {
					if len(commas) == 0 {
						break
					}
					prefix, suffix := s[:open], s[i+1:]
					bounds := append(append([]int{open}, commas...), i)
					out := make([]string, 0, len(bounds)-1)
					for k := 0; k+1 < len(bounds); k++ {
						out = append(out, prefix+s[bounds[k]+1:bounds[k+1]]+suffix)
					}
					return out, true
				}
			}
			if depth == 0 {
				break
			}
		}
	}
	return []string{s}, false
}

// tokenize turns one segment into tokens. Malformed classes are literal.
func tokenize(seg string) []token {
	rs := []rune(seg)
	var toks []token
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\\':
			if i+1 < len(rs) {
				i++
			}
			toks = append(toks, token{kind: tokLiteral, r: rs[i]})
		case '?':
			toks = append(toks, token{kind: tokAny})
		case '*':
			if len(toks) > 0 && toks[len(toks)-1].kind == tokStar {
				continue // "**" inside a segment is just "*"
			}
			toks = append(toks, token{kind: tokStar})
		case '[':
			tok, next, ok := parseClass(rs, i)
			if !ok {
				toks = append(toks, token{kind: tokLiteral, r: '['})
				continue
			}
			toks = append(toks, tok)
			i = next
		default:
			toks = append(toks, token{kind: tokLiteral, r: rs[i]})
		}
	}
	return toks
}

// parseClass parses a class starting at rs[start] == '['; next is the
// index of its closing ']'.
func parseClass(rs []rune, start int) (token, int, bool) {
	tok := token{kind: tokClass}
	i := start + 1
	if i < len(rs) && (rs[i] == '!' || rs[i] == '^') {
		tok.negate = true
		i++
	}
	first := true
	for ; i < len(rs); i++ {
		c := rs[i]
		if c == ']' && !first {
			return tok, i, true
		}
		first = false
		if c == '\\' && i+1 < len(rs) {
			i++
			c = rs[i]
		}
		lo, hi := c, c
		if i+2 < len(rs) && rs[i+1] == '-' && rs[i+2] != ']' {
			hi = rs[i+2]
			if hi == '\\' && i+3 < len(rs) {
				hi = rs[i+3]
				i++
			}
			i += 2
		}
		if lo <= hi {
			tok.ranges = append(tok.ranges, runeRange{lo, hi})
		}
	}
	return token{}, 0, false
}

// match reports whether a slash-separated relative path matches.
func (g *glob) match(name string) bool {
	segs := strings.Split(name, "/")
	for _, alt := range g.alts {
		if matchSegments(alt, segs) {
			return true
		}
	}
	return false
}

// matchSegments matches pattern segments against path segments; "**"
// absorbs any number of path segments. It runs in O(len(pat)·len(segs))
// segment comparisons.
func matchSegments(pat []segment, segs []string) bool {
	cur := make([]bool, len(segs)+1)
	cur[0] = true
	for _, p := range pat {
		next := make([]bool, len(segs)+1)
		if p.doubleStar {
			reach := false
			for j := range next {
				reach = reach || cur[j]
				next[j] = reach
			}
		} else {
			for j := 1; j <= len(segs); j++ {
				next[j] = cur[j-1] && matchTokens(p.toks, segs[j-1])
			}
		}
		cur = next
	}
	return cur[len(segs)]
}

// matchTokens matches one segment, backtracking only to the last star,
// which is enough when stars cannot cross segments and keeps the cost at
// O(len(toks)·len(s)).
func matchTokens(toks []token, s string) bool {
	rs := []rune(s)
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(rs) {
		if ti < len(toks) {
			t := toks[ti]
			if t.kind == tokStar {
				starT, starS = ti, si
				ti++
				continue
			}
			if t.matches(rs[si]) {
				ti++
				si++
				continue
			}
		}
		if starT < 0 {
			return false
		}
		starS++
		ti, si = starT+1, starS
	}
	for ti < len(toks) && toks[ti].kind == tokStar {
		ti++
	}
	return ti == len(toks)
}

func (t token) matches(r rune) bool {
	switch t.kind {
	case tokLiteral:
		return t.r == r
	case tokAny:
		return true
	case tokClass:
		in := false
		for _, rg := range t.ranges {
			if rg.lo <= r && r <= rg.hi {
				in = true
				break
			}
		}
		return in != t.negate
	}
	return false
}

// hasGlobMeta reports whether a pattern uses any glob syntax.
func hasGlobMeta(p string) bool { return strings.ContainsAny(p, "*?[{\\") }
