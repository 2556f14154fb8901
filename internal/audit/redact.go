package audit

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// secretShape is one known kind of credential. A match is tried only where
// one of its triggers occurs (ASCII case-insensitively when fold is set), so
// a megabyte of ordinary text costs a few substring searches rather than a
// regular-expression scan per shape. re is anchored at the trigger. When
// wordStart is set the trigger must start a word (so "task-..." is not an
// OpenAI key).
//
// When group is non-zero only that submatch is the secret and the rest of
// the match (a header name, a scheme word) stays readable. Such a secret
// can swallow the name of the next one ("Authorization: Authorization:
// Basic ..."), so the search resumes keyLen bytes before the secret's end:
// keyLen is the longest name-and-separator that can hide inside a secret.
type secretShape struct {
	kind      string
	triggers  []string
	fold      bool
	wordStart bool
	re        *regexp.Regexp
	group     int
	keyLen    int
}

// secretShapes is ordered: when two shapes cover the same text the first
// one names it. Token alphabets are generous on purpose: a false positive
// hides an argument from the audit log, a false negative writes a
// credential to disk.
var secretShapes = []secretShape{
	// A block with no END line (a truncated key) is redacted to the end.
	{kind: "private-key", triggers: []string{"-----BEGIN"},
		re: regexp.MustCompile(`\A-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)`)},
	{kind: "anthropic", triggers: []string{"sk-ant-"}, wordStart: true, re: regexp.MustCompile(`\Ask-ant-[A-Za-z0-9_-]{20,}`)},
	{kind: "openai", triggers: []string{"sk-"}, wordStart: true, re: regexp.MustCompile(`\Ask-[A-Za-z0-9_-]{20,}`)},
	{kind: "github", triggers: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, wordStart: true, re: regexp.MustCompile(`\Agh[pousr]_[A-Za-z0-9]{20,}`)},
	{kind: "github", triggers: []string{"github_pat_"}, wordStart: true, re: regexp.MustCompile(`\Agithub_pat_[A-Za-z0-9_]{20,}`)},
	{kind: "aws-access-key", triggers: []string{"AKIA", "ASIA"}, wordStart: true, re: regexp.MustCompile(`\A(?:AKIA|ASIA)[A-Z0-9]{16}\b`)},
	// aws_secret_access_key=..., "SecretAccessKey": "...", AWS_SESSION_TOKEN=...
	{kind: "aws-secret", triggers: []string{"secret"}, fold: true, group: 1, keyLen: len("secret_access_key="),
		re: regexp.MustCompile(`(?i)\Asecret_?access_?key["']?\s*[:=]\s*["']?([^\s"',;&]+)`)},
	{kind: "aws-secret", triggers: []string{"session"}, fold: true, group: 1, keyLen: len("session_token="),
		re: regexp.MustCompile(`(?i)\Asession_?token["']?\s*[:=]\s*["']?([^\s"',;&]+)`)},
	{kind: "google-api-key", triggers: []string{"AIza"}, wordStart: true, re: regexp.MustCompile(`\AAIza[0-9A-Za-z_-]{35,}`)},
	{kind: "slack", triggers: []string{"xox"}, wordStart: true, re: regexp.MustCompile(`\Axox[abprs]-[A-Za-z0-9-]{10,}`)},
	{kind: "bearer", triggers: []string{"bearer"}, fold: true, wordStart: true, group: 1, keyLen: len("bearer"),
		re: regexp.MustCompile(`(?i)\Abearer\s+([A-Za-z0-9._~+/-]{8,}=*)`)},
	// Also Proxy-Authorization: the trigger is where the header name ends.
	{kind: "authorization", triggers: []string{"authorization"}, fold: true, wordStart: true, group: 1, keyLen: len("authorization:"),
		re: regexp.MustCompile(`(?i)\Aauthorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|digest|token|bot|apikey|aws4-hmac-sha256)\s+)?([^\s"',;]+)`)},
}

// secretKeys are argument names whose string value is a credential
// whatever its shape (an HTTP header map, an AWS config object). Keys are
// compared lowercased with '-' and '_' removed.
var secretKeys = map[string]string{
	"authorization":      "authorization",
	"proxyauthorization": "authorization",
	"secretaccesskey":    "aws-secret",
	"awssecretaccesskey": "aws-secret",
	"sessiontoken":       "aws-secret",
	"awssessiontoken":    "aws-secret",
}

var authSchemeRE = regexp.MustCompile(`^(?i)\s*(?:(?:bearer|basic|digest|token|bot|apikey|aws4-hmac-sha256)\s+)?`)

func marker(kind string) string { return "[REDACTED:" + kind + "]" }

// maxRedactDepth bounds recursion; JSON decoded elsewhere is shallower, and
// a deeper (or cyclic) value built in code is cut rather than followed.
const maxRedactDepth = 256

// maxRedactPasses bounds RedactString's loop. A pass can only create a new
// match where a marker now borders text that used to continue a secret, so
// a fixed point comes within a pass or two; the bound is a backstop, and
// reaching it hides the whole string.
const maxRedactPasses = 8

// Redact returns a deep copy of args in which every string (values and
// keys, at any depth) has known secret shapes replaced by
// "[REDACTED:<kind>]", keeping the text around them. It never modifies its
// input and is idempotent. Values that are not plain JSON (structs, typed
// slices, NaN) are converted through encoding/json first, so the copy is
// always encodable; what cannot be encoded becomes "[REDACTED:unencodable]".
func Redact(args map[string]any) map[string]any {
	if args == nil {
		return nil
	}
	return redactMap(args, 0)
}

func redactMap(m map[string]any, depth int) map[string]any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Sorted, so that keys colliding after redaction get the same
	// suffixes every time.
	slices.Sort(keys)
	out := make(map[string]any, len(m))
	for _, k := range keys {
		v := redactValue(m[k], depth+1)
		if s, ok := v.(string); ok {
			v = redactByKey(k, s)
		}
		nk := RedactString(k)
		_, taken := out[nk]
		if _, literal := m[nk]; taken || (nk != k && literal) {
			nk = freeKey(out, m, nk)
		}
		out[nk] = v
	}
	return out
}

// freeKey picks "<k>#2", "<k>#3", ... not used in out or the input.
func freeKey(out, in map[string]any, k string) string {
	for i := 2; ; i++ {
		c := k + "#" + strconv.Itoa(i)
		_, inOut := out[c]
		_, inIn := in[c]
		if !inOut && !inIn {
			return c
		}
	}
}

// redactByKey hides the value of a credential-named argument even when
// its text has no known shape, keeping an Authorization scheme readable.
func redactByKey(key, s string) string {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return -1
		}
		return unicode.ToLower(r)
	}, key)
	kind, ok := secretKeys[norm]
	if !ok {
		return s
	}
	prefix := ""
	if kind == "authorization" {
		prefix = authSchemeRE.FindString(s)
	}
	rest := strings.TrimSpace(s[len(prefix):])
	if rest == "" || isMarker(rest) {
		return s
	}
	return prefix + marker(kind)
}

func redactValue(v any, depth int) any {
	if depth > maxRedactDepth {
		return marker("too-deep")
	}
	switch x := v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x
	case string:
		return RedactString(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return marker("unencodable")
		}
		return x
	case json.Number:
		if validNumber(string(x)) {
			return x
		}
		return RedactString(string(x))
	case map[string]any:
		return redactMap(x, depth)
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = redactValue(it, depth+1)
		}
		return out
	}
	// Anything else (float32, typed slices and maps, structs,
	// json.RawMessage) is brought to plain JSON values first, so no
	// string inside it escapes the walk.
	data, err := json.Marshal(v)
	if err != nil {
		return marker("unencodable")
	}
	var plain any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&plain); err != nil {
		return marker("unencodable")
	}
	return redactValue(plain, depth)
}

// RedactString replaces every known secret shape in s by its marker,
// keeping the surrounding text. It is idempotent.
func RedactString(s string) string {
	for range maxRedactPasses {
		out, changed := redactOnce(s)
		if !changed {
			return out
		}
		s = out
	}
	return marker("unstable")
}

type span struct {
	start, end int
	kind       string
}

// redactOnce finds every shape's matches, merges overlapping ones (so no
// byte any shape claims survives, whichever shape wins the name), and
// replaces each merged span by one marker.
func redactOnce(s string) (string, bool) {
	var spans []span
	for _, sh := range secretShapes {
		for _, t := range sh.triggers {
			spans = sh.find(s, t, spans)
		}
	}
	if len(spans) == 0 {
		return s, false
	}
	// Stable, so that at equal starts the longer span, then the earlier
	// shape in secretShapes, names the merged span.
	slices.SortStableFunc(spans, func(x, y span) int {
		if x.start != y.start {
			return x.start - y.start
		}
		return y.end - x.end
	})
	var b strings.Builder
	b.Grow(len(s))
	at := 0
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].start < cur.end; i++ {
			cur.end = max(cur.end, spans[i].end)
		}
		b.WriteString(s[at:cur.start])
		b.WriteString(marker(cur.kind))
		at = cur.end
	}
	b.WriteString(s[at:])
	return b.String(), true
}

// find appends the spans of sh's matches that start at trigger t. Like
// regexp's FindAll it resumes after each match (less keyLen), so a long
// run of triggers costs linear time.
func (sh *secretShape) find(s, t string, spans []span) []span {
	ff := foldFinder{s: s, t: t, nextLo: -2, nextUp: -2}
	for pos := 0; pos < len(s); {
		var i int
		if sh.fold {
			i = ff.index(pos)
		} else if i = strings.Index(s[pos:], t); i >= 0 {
			i += pos
		}
		if i < 0 {
			break
		}
		if sh.wordStart && !atWordStart(s, i) {
			pos = i + 1
			continue
		}
		m := sh.re.FindStringSubmatchIndex(s[i:])
		if m == nil {
			pos = i + 1
			continue
		}
		a, b := m[2*sh.group], m[2*sh.group+1]
		if a >= 0 && a < b && !isMarker(s[i+a:i+b]) {
			spans = append(spans, span{i + a, i + b, sh.kind})
		}
		pos = i + max(m[1], 1)
		if sh.group != 0 && a >= 0 {
			// The next name may hide at the end of this secret; a is past
			// the trigger, so the search still moves on.
			pos = i + max(a, b-sh.keyLen)
		}
	}
	return spans
}

// atWordStart reports whether s[i] starts a word. An escape sequence
// counts as a separator: in JSON or source text held in a string, "\nsk-..."
// and "\u0027sk-..." put a key after a letter or digit that is not part of
// it.
func atWordStart(s string, i int) bool {
	switch {
	case i == 0 || !isWordByte(s[i-1]):
		return true
	case i >= 2 && s[i-2] == '\\':
		return true
	case i >= 6 && s[i-6] == '\\' && s[i-5] == 'u' && isHex(s[i-4:i]):
		return true
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isMarker reports whether s is exactly one redaction marker.
func isMarker(s string) bool {
	kind, ok := strings.CutPrefix(s, "[REDACTED:")
	if !ok {
		return false
	}
	kind, ok = strings.CutSuffix(kind, "]")
	if !ok || kind == "" {
		return false
	}
	for i := 0; i < len(kind); i++ {
		if c := kind[i]; c != '-' && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// foldFinder finds t in s ignoring ASCII case; t is lowercase and starts
// with a letter. It remembers where each case of t's first letter occurs
// next, so that a scan calling index with growing from stays linear even
// when one case is absent. Only ASCII folds: credentials and header names
// are ASCII, and a Unicode look-alike is not a working header.
type foldFinder struct {
	s, t           string
	nextLo, nextUp int // next index of each case at or after the last from; -2 unknown, -1 none
}

// index returns the first index >= from where t occurs, or -1.
func (f *foldFinder) index(from int) int {
	s, t := f.s, f.t
	for i := from; i+len(t) <= len(s); {
		if f.nextLo != -1 && f.nextLo < i {
			f.nextLo = indexByteFrom(s, i, t[0])
		}
		if f.nextUp != -1 && f.nextUp < i {
			f.nextUp = indexByteFrom(s, i, t[0]-'a'+'A')
		}
		j := f.nextLo
		if j < 0 || (f.nextUp >= 0 && f.nextUp < j) {
			j = f.nextUp
		}
		if j < 0 || j+len(t) > len(s) {
			return -1
		}
		if equalFoldASCII(s[j:j+len(t)], t) {
			return j
		}
		i = j + 1
	}
	return -1
}

func indexByteFrom(s string, from int, c byte) int {
	if i := strings.IndexByte(s[from:], c); i >= 0 {
		return from + i
	}
	return -1
}

// equalFoldASCII compares s with the lowercase t, folding only ASCII.
func equalFoldASCII(s, t string) bool {
	for i := 0; i < len(t); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != t[i] {
			return false
		}
	}
	return true
}

// validNumber reports whether s is a JSON number, which json.Number does
// not check and encoding/json refuses to write when it is not.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}
