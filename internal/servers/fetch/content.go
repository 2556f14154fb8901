package fetch

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// kind is what a response body is, as far as output goes.
type kind uint8

const (
	kindUnknown kind = iota // no usable Content-Type: sniff the body
	kindText
	kindHTML
	kindBinary
)

// textTypes are the non-text/* media types whose bodies are readable text.
var textTypes = map[string]bool{
	"application/json":       true,
	"application/xml":        true,
	"application/javascript": true,
	"application/ecmascript": true,
	"application/x-yaml":     true,
	"application/yaml":       true,
	"application/toml":       true,
	"application/x-sh":       true,
	"application/sql":        true,
	"application/graphql":    true,
	"application/x-ndjson":   true,
}

func classify(contentType string) kind {
	if contentType == "" {
		return kindUnknown
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return kindUnknown
	}
	switch {
	case mt == "text/html" || mt == "application/xhtml+xml":
		return kindHTML
	case strings.HasPrefix(mt, "text/") || textTypes[mt] ||
		strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml"):
		return kindText
	}
	return kindBinary
}

// refine settles an unknown kind by sniffing, and demotes "text" that has
// NUL bytes near the start: that is a mislabelled binary, and returning it
// would only feed the model noise.
func refine(k kind, body []byte) kind {
	head := body[:min(len(body), 512)]
	switch {
	case k == kindUnknown:
		k = classify(http.DetectContentType(head))
		if k == kindUnknown {
			return kindBinary
		}
		return k
	case bytes.IndexByte(head, 0) >= 0:
		return kindBinary
	}
	return k
}

// charsetOf returns the lowercase charset parameter, "" when absent.
func charsetOf(contentType string) string {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(params["charset"]))
}

// decodeText returns body as valid UTF-8. UTF-8 is assumed unless the
// server names a Latin-1 label, which WHATWG reads as windows-1252; other
// charsets are not decoded (ok is false) and their invalid bytes replaced.
func decodeText(body []byte, charset string) (text string, ok bool) {
	switch charset {
	case "", "utf-8", "utf8", "unicode-1-1-utf-8":
		body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
		return strings.ToValidUTF8(string(body), "\uFFFD"), true
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "windows-1252",
		"cp1252", "x-cp1252", "us-ascii", "ascii", "cp819", "ibm819":
		var b strings.Builder
		b.Grow(len(body))
		for _, c := range body {
			if c >= 0x80 && c <= 0x9f {
				b.WriteRune(cp1252[c-0x80])
			} else {
				b.WriteRune(rune(c))
			}
		}
		return b.String(), true
	}
	return strings.ToValidUTF8(string(body), "\uFFFD"), false
}

// cp1252 maps windows-1252 bytes 0x80-0x9F; the rest is Latin-1.
var cp1252 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// render formats the response for the agent: a few header lines, a blank
// line, then the body in the requested format, cut at maxLength
// characters with a marker.
func (r *response) render(format string, maxLength int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Status: %s\n", oneLine(r.status))
	fmt.Fprintf(&b, "URL: %s\n", r.url.Redacted())
	if r.location != "" {
		fmt.Fprintf(&b, "Redirect: %s (not followed: it leads to another host; fetch it explicitly so the policy can judge it)\n", oneLine(r.location))
	}
	if r.contentType != "" {
		fmt.Fprintf(&b, "Content-Type: %s\n", oneLine(r.contentType))
	}
	b.WriteByte('\n')

	if r.kind == kindBinary {
		mt, _, err := mime.ParseMediaType(r.contentType)
		if err != nil || mt == "" {
			mt = "unknown type"
		}
		size := "size unknown"
		if r.length >= 0 {
			size = fmt.Sprintf("%d bytes", r.length)
		}
		fmt.Fprintf(&b, "[Binary content (%s, %s) not shown]", oneLine(mt), size)
		return b.String()
	}

	text, decoded := decodeText(r.body, charsetOf(r.contentType))
	if r.kind == kindHTML && format != formatHTML {
		mode := renderMarkdown
		if format == formatText {
			mode = renderText
		}
		// Enough bytes for maxLength characters and a few more, so the
		// conversion stops early on huge pages but truncation still shows.
		text, _ = renderHTML(text, r.url, mode, maxLength*utf8.UTFMax+64)
	}
	text, cut := truncateRunes(text, maxLength)
	b.WriteString(text)
	if cut {
		fmt.Fprintf(&b, "\n\n[Truncated: output longer than max_length %d characters]", maxLength)
	}
	if r.truncated {
		b.WriteString("\n\n[Response body truncated at the server's byte limit]")
	}
	if !decoded {
		b.WriteString("\n\n[Charset not supported: undecodable bytes were replaced]")
	}
	return b.String()
}

// truncateRunes keeps the first n characters of s.
func truncateRunes(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos], true
		}
		i++
	}
	return s, false
}
