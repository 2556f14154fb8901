package fetch

import (
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// renderMode selects the dialect renderHTML writes.
type renderMode uint8

const (
	renderMarkdown renderMode = iota
	renderText
)

// Limits on attribute-derived output; beyond them a link or image is shown
// by its text alone.
const (
	maxLinkLen = 2048
	maxAltLen  = 512
)

// skipped elements contribute nothing: code, styling, navigation and
// other boilerplate, and content the page itself hides.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Nav: true, atom.Noscript: true,
	atom.Template: true, atom.Iframe: true, atom.Svg: true, atom.Math: true,
	atom.Canvas: true, atom.Object: true, atom.Embed: true, atom.Head: true,
	atom.Select: true, atom.Footer: true, atom.Aside: true, atom.Dialog: true,
}

// blocks are elements that sit on lines of their own, separated by a
// blank line; lines are those separated by a line break only.
var (
	blocks = map[atom.Atom]bool{
		atom.P: true, atom.Address: true, atom.Article: true, atom.Details: true,
		atom.Fieldset: true, atom.Figure: true, atom.Figcaption: true,
		atom.Form: true, atom.Header: true, atom.Main: true, atom.Section: true,
		atom.Summary: true, atom.Center: true, atom.Hgroup: true, atom.Legend: true,
		atom.Caption: true, atom.Body: true,
	}
	lines = map[atom.Atom]bool{
		atom.Div: true, atom.Dl: true, atom.Dt: true, atom.Tr: true, atom.Option: true,
	}
	headings = map[atom.Atom]bool{
		atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	}
)

// renderHTML converts an HTML document to markdown or plain text. base
// resolves relative links (nil leaves them relative). At most limit bytes
// are produced (0: no limit); the bool reports that output was cut there.
// Any input is accepted: the result is always valid UTF-8 without control
// characters other than line breaks and tabs in preformatted text.
func renderHTML(src string, base *url.URL, mode renderMode, limit int) (string, bool) {
	src = strings.ToValidUTF8(src, "\uFFFD")
	w := newTextWriter(limit)
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// html.Parse refuses documents nested deeper than 512 elements.
		// Their text is still worth having, so read the tokens instead.
		tokenText(w, src)
	} else {
		c := &converter{w: w, base: base, md: mode == renderMarkdown}
		c.node(doc)
	}
	return w.String(), w.full
}

// converter walks a parsed document. Recursion depth is bounded by the
// parser's nesting limit.
type converter struct {
	w     *textWriter
	base  *url.URL
	md    bool
	lists int // nesting depth of lists
}

func (c *converter) children(n *html.Node) {
	for ch := n.FirstChild; ch != nil && !c.w.full; ch = ch.NextSibling {
		c.node(ch)
	}
}

func (c *converter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		c.w.text(n.Data)
	case html.DocumentNode:
		c.children(n)
	case html.ElementNode:
		c.element(n)
	}
}

func (c *converter) element(n *html.Node) {
	if skipped[n.DataAtom] || n.Namespace == "svg" || hasAttr(n, "hidden") || attr(n, "aria-hidden") == "true" {
		return
	}
	a := n.DataAtom
	switch {
	case blocks[a]:
		c.w.block()
		c.children(n)
		c.w.block()
		return
	case lines[a]:
		c.w.line()
		c.children(n)
		c.w.line()
		return
	case headings[a]:
		c.w.block()
		level := 1
		if len(n.Data) == 2 && n.Data[1] >= '1' && n.Data[1] <= '6' {
			level = int(n.Data[1] - '0')
		}
		c.wrap(n, strings.Repeat("#", level)+" ", "")
		c.w.block()
		return
	}
	switch a {
	case atom.Br:
		c.w.br()
	case atom.Hr:
		c.w.block()
		if c.md {
			c.w.raw("---")
		}
		c.w.block()
	case atom.Pre:
		c.pre(n)
	case atom.Code, atom.Kbd, atom.Samp, atom.Tt:
		c.code(n)
	case atom.A:
		c.link(n)
	case atom.Img:
		c.image(n)
	case atom.Strong, atom.B:
		c.wrap(n, "**", "**")
	case atom.Em, atom.I:
		c.wrap(n, "*", "*")
	case atom.Del, atom.S, atom.Strike:
		c.wrap(n, "~~", "~~")
	case atom.Ul, atom.Ol, atom.Menu:
		c.list(n)
	case atom.Li:
		c.item(n, "- ")
	case atom.Blockquote:
		c.w.block()
		if c.md {
			c.w.push("> ", "> ")
			c.children(n)
			c.w.pop()
		} else {
			c.children(n)
		}
		c.w.block()
	case atom.Dd:
		c.w.line()
		if c.md {
			c.w.push(": ", "  ")
			c.children(n)
			c.w.pop()
		} else {
			c.children(n)
		}
		c.w.line()
	case atom.Table:
		c.table(n)
	case atom.Td, atom.Th:
		c.children(n)
		c.w.gap()
	default:
		c.children(n)
	}
}

// wrap renders n's children between markdown start and end marks; in text
// mode just the children.
func (c *converter) wrap(n *html.Node, start, end string) {
	if !c.md {
		c.children(n)
		return
	}
	c.w.open(start, end)
	c.children(n)
	c.w.close()
}

func (c *converter) pre(n *html.Node) {
	var b strings.Builder
	textContent(n, &b, c.w.limit)
	text := strings.TrimRight(b.String(), " \t\r\n")
	text = strings.TrimLeft(text, "\r\n")
	if strings.TrimSpace(text) == "" {
		return
	}
	c.w.block()
	if c.md {
		fence := fence(text, 3)
		c.w.raw(fence + codeLanguage(n))
		c.w.line()
		c.w.pre(text)
		c.w.line()
		c.w.raw(fence)
	} else {
		c.w.pre(text)
	}
	c.w.block()
}

func (c *converter) code(n *html.Node) {
	if !c.md {
		c.children(n)
		return
	}
	var b strings.Builder
	textContent(n, &b, c.w.limit)
	text := strings.Join(strings.Fields(b.String()), " ")
	if text == "" {
		return
	}
	ticks := fence(text, 1)
	if strings.HasPrefix(text, "`") || strings.HasSuffix(text, "`") {
		text = " " + text + " "
	}
	c.w.raw(ticks + text + ticks)
}

func (c *converter) link(n *html.Node) {
	href := c.resolve(attr(n, "href"))
	if !c.md || href == "" {
		c.children(n)
		return
	}
	c.w.open("[", "]("+href+")")
	c.children(n)
	c.w.close()
}

func (c *converter) image(n *html.Node) {
	alt := strings.Join(strings.Fields(attr(n, "alt")), " ")
	if len(alt) > maxAltLen {
		alt = strings.ToValidUTF8(alt[:maxAltLen], "")
	}
	if !c.md {
		c.w.text(alt)
		return
	}
	src := c.resolve(attr(n, "src"))
	if src == "" {
		c.w.text(alt)
		return
	}
	alt = strings.NewReplacer("[", `\[`, "]", `\]`).Replace(alt)
	c.w.raw("![" + alt + "](" + src + ")")
}

func (c *converter) list(n *html.Node) {
	if c.lists == 0 {
		c.w.block()
	} else {
		c.w.line()
	}
	c.lists++
	num := 1
	ordered := n.DataAtom == atom.Ol
	if s, err := strconv.Atoi(attr(n, "start")); ordered && err == nil && s > -1e9 && s < 1e9 {
		num = s
	}
	for ch := n.FirstChild; ch != nil && !c.w.full; ch = ch.NextSibling {
		if ch.Type != html.ElementNode || ch.DataAtom != atom.Li {
			c.node(ch)
			continue
		}
		marker := "- "
		if ordered {
			marker = strconv.Itoa(num) + ". "
			num++
		}
		c.item(ch, marker)
	}
	c.lists--
	if c.lists == 0 {
		c.w.block()
	} else {
		c.w.line()
	}
}

func (c *converter) item(n *html.Node, marker string) {
	c.w.line()
	if c.md {
		c.w.push(marker, strings.Repeat(" ", len(marker)))
		c.children(n)
		c.w.pop()
	} else {
		c.children(n)
	}
	c.w.line()
}

// resolve turns an href or src into an absolute http, https or mailto URL
// safe to put inside markdown parentheses, or "" to show no link at all.
// Script and data URLs are dropped; fragment-only links are noise.
func (c *converter) resolve(ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") || len(ref) > maxLinkLen {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if c.base != nil {
		u = c.base.ResolveReference(u)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
	case "":
		if u.Host != "" || u.Opaque != "" {
			return ""
		}
	default:
		return ""
	}
	s := u.String()
	if len(s) > maxLinkLen {
		return ""
	}
	return linkEscaper.Replace(s)
}

var linkEscaper = strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E")

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return true
		}
	}
	return false
}

// textContent appends the text under n, with <br> as a line break, up to
// about limit bytes (0: no limit).
func textContent(n *html.Node, b *strings.Builder, limit int) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if limit > 0 && b.Len() >= limit {
			return
		}
		switch {
		case ch.Type == html.TextNode:
			b.WriteString(ch.Data)
		case ch.Type != html.ElementNode || skipped[ch.DataAtom]:
		case ch.DataAtom == atom.Br:
			b.WriteByte('\n')
		default:
			textContent(ch, b, limit)
		}
	}
}

// fence returns a run of backticks longer than any inside text, and at
// least minLen long, so the code cannot close its own fence.
func fence(text string, minLen int) string {
	longest, run := 0, 0
	for i := 0; i < len(text); i++ {
		if text[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(minLen, longest+1))
}

// codeLanguage reads the language-X class convention of <pre><code>, keeping
// only characters that cannot break the fence line.
func codeLanguage(pre *html.Node) string {
	code := pre.FirstChild
	for code != nil && code.Type != html.ElementNode {
		code = code.NextSibling
	}
	if code == nil || code.DataAtom != atom.Code {
		return ""
	}
	for _, class := range strings.Fields(attr(code, "class")) {
		lang, ok := strings.CutPrefix(class, "language-")
		if !ok || lang == "" || len(lang) > 32 {
			continue
		}
		clean := true
		for _, r := range lang {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+#_-.", r)) {
				clean = false
				break
			}
		}
		if clean {
			return lang
		}
	}
	return ""
}
