package audit

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// secretShape is one known kind of credential. A match is tried only where
// one of its triggers occurs (ASCII case-insensitively when fold is set), so
// a megabyte of ordinary text costs a few substring searches rather than a
// regular-expression scan per shape. re is anchored at the trigger. When
// wordStart is set the trigger must not follow a letter, digit or '_' (so
// "task-..." is not an OpenAI key). When group is non-zero only that
// submatch is the secret and the rest of the match (a header name, a scheme
// word) stays readable.
type secretShape struct {
	kind      string
	triggers  []string
	fold      bool
	wordStart bool
	re        *regexp.Regexp
	group     int
}

// secretShapes is ordered: when two shapes cover the same text the first
// one names it. Token alphabets are generous on purpose: a false positive
// hides an argument from the audit log, a false negative writes a
// credential to disk.
var secretShapes = []secretShape{
	// A block with no END line (a truncated key) is redacted to the end.
	{"private-key", []string{"-----BEGIN"}, false, false,
		regexp.MustCompile(`\A-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)`), 0},
	{"anthropic", []string{"sk-ant-"}, false, true, regexp.MustCompile(`\Ask-ant-[A-Za-z0-9_-]{20,}`), 0},
	{"openai", []string{"sk-"}, false, true, regexp.MustCompile(`\Ask-[A-Za-z0-9_-]{20,}`), 0},
	{"github", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, false, true, regexp.MustCompile(`\Agh[pousr]_[A-Za-z0-9]{20,}`), 0},
	{"github", []string{"github_pat_"}, false, true, regexp.MustCompile(`\Agithub_pat_[A-Za-z0-9_]{20,}`), 0},
	{"aws-access-key", []string{"AKIA", "ASIA"}, false, true, regexp.MustCompile(`\A(?:AKIA|ASIA)[A-Z0-9]{16}\b`), 0},
	// aws_secret_access_key=..., "SecretAccessKey": "...", AWS_SESSION_TOKEN=...
	{"aws-secret", []string{"secret"}, true, false, regexp.MustCompile(`(?i)\Asecret_?access_?key["']?\s*[:=]\s*["']?([^\s"',;&]+)`), 1},
	{"aws-secret", []string{"session"}, true, false, regexp.MustCompile(`(?i)\Asession_?token["']?\s*[:=]\s*["']?([^\s"',;&]+)`), 1},
	{"google-api-key", []string{"AIza"}, false, true, regexp.MustCompile(`\AAIza[0-9A-Za-z_-]{35,}`), 0},
	{"slack", []string{"xox"}, false, true, regexp.MustCompile(`\Axox[abprs]-[A-Za-z0-9-]{10,}`), 0},
	{"bearer", []string{"bearer"}, true, true, regexp.MustCompile(`(?i)\Abearer\s+([A-Za-z0-9._~+/-]{8,}=*)`), 1},
	// Also Proxy-Authorization: the trigger is where the header name ends.
	{"authorization", []string{"authorization"}, true, true,
		regexp.MustCompile(`(?i)\Aauthorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|digest|token|bot|apikey|aws4-hmac-sha256)\s+)?([^\s"',;]+)`), 1},
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

// maxRedactPasses bounds RedactString's loop. Each pass replaces at least
// one secret by a shorter-lived marker that no shape matches, so a fixed
// point comes within a few passes; the bound is a backstop.
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
		if _, dup := out[nk]; dup || (nk != k && m[nk] != nil) {
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
	norm := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(key))
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
// regexp's FindAll it resumes after each match, so a long run of triggers
// costs linear time.
func (sh *secretShape) find(s, t string, spans []span) []span {
	for pos := 0; pos < len(s); {
		var i int
		if sh.fold {
			i = indexFold(s[pos:], t)
		} else {
			i = strings.Index(s[pos:], t)
		}
		if i < 0 {
			break
		}
		i += pos
		if sh.wordStart && i > 0 && isWordByte(s[i-1]) {
			pos = i + 1
			continue
		}
		m := sh.re.FindStringSubmatchIndex(s[i:])
		if m == nil {
			pos = i + 1
			continue
		}
		if a, b := m[2*sh.group], m[2*sh.group+1]; a >= 0 && a < b && !isMarker(s[i+a:i+b]) {
			spans = append(spans, span{i + a, i + b, sh.kind})
		}
		pos = i + max(m[1], 1)
	}
	return spans
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

// indexFold is strings.Index ignoring ASCII case; t is lowercase and
// starts with a letter. Only ASCII folds: credentials and header names are
// ASCII, and a Unicode look-alike is not a working header.
func indexFold(s, t string) int {
	lo, up := t[0], t[0]-'a'+'A'
	nextLo, nextUp := -2, -2 // next index of each case; -2 unknown, -1 none
	for i := 0; i+len(t) <= len(s); {
		if nextLo != -1 && nextLo < i {
			nextLo = indexByteFrom(s, i, lo)
		}
		if nextUp != -1 && nextUp < i {
			nextUp = indexByteFrom(s, i, up)
		}
		j := nextLo
		if j < 0 || (nextUp >= 0 && nextUp < j) {
			j = nextUp
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
